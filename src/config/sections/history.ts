import { z } from "zod";

/** `history:` — Sample history ring kept across restarts. */
export const historySection = z.strictObject({}).default({}).describe("Sample history ring kept across restarts");
