import { z } from "zod";

/** `alerts:` — Alert rules: thresholds, for-durations, hysteresis. */
export const alertsSection = z
  .strictObject({})
  .default({})
  .describe("Alert rules: thresholds, for-durations, hysteresis");
