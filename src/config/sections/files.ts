import { z } from "zod";

/** `files:` — Where the device keeps photos, videos and logs (served by /latest/* and /logs). */
export const filesSection = z
  .strictObject({})
  .default({})
  .describe("Where the device keeps photos, videos and logs (served by /latest/* and /logs)");
