import { z } from "zod";

/** `collectors:` — Collectors: what the agent samples and how often (issue: agent). */
export const collectorsSection = z
  .strictObject({})
  .default({})
  .describe("Collectors: what the agent samples and how often (issue: agent)");
