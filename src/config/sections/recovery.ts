import { z } from "zod";

/** `recovery:` — Self-healing: watches, the escalation ladder, control actions, disk safeguard. */
export const recoverySection = z
  .strictObject({})
  .default({})
  .describe("Self-healing: watches, the escalation ladder, control actions, disk safeguard");
