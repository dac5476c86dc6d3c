import { z } from "zod";
import { duration } from "../../config/kit.ts";
import { collectorData, pickNumber, severity } from "./kit.ts";
import { defineRule } from "./types.ts";

/** Share of failed captures among the camera collector's last N (`collectors.camera.window`). */
export const captureFailureRateRule = defineRule({
  name: "capture_failure_rate",
  description: "Capture failure rate above a limit over the last collectors.camera.window captures (camera collector)",
  config: () =>
    z
      .strictObject({
        enabled: z.boolean().default(true).describe("Evaluate this rule"),
        severity: severity().default("critical").describe("Severity of the alert"),
        above: z
          .number()
          .min(0)
          .max(100)
          .default(10)
          .describe("Alert when more than this share of the recent captures failed (%)"),
        min_captures: z
          .number()
          .int()
          .min(1)
          .default(10)
          .describe("Judge the rate only once this many captures were seen (2 failures out of 3 is not a rate yet)"),
        for: duration().prefault("0s").describe("The rate must stay high this long before the alert fires"),
        clear_for: duration()
          .prefault("0s")
          .describe("A firing alert resolves only after this long back under the limit"),
      })
      .prefault({}),
  create(cfg) {
    if (!cfg.enabled) return null;
    return {
      name: "capture_failure_rate",
      forMs: cfg.for,
      clearForMs: cfg.clear_for,
      evaluate(input) {
        const d = collectorData(input.state, "camera");
        const rate = pickNumber(d, ["success_rate"]);
        const n = pickNumber(d, ["captures_considered"]);
        if (rate === null || n === null || n < cfg.min_captures) return { conditions: [] };
        const failed = Math.round((1 - rate) * 10_000) / 100;
        const high = failed > cfg.above;
        return {
          conditions: [
            {
              key: "",
              severity: high ? cfg.severity : null,
              value: failed,
              summary: high
                ? `${failed}% of the last ${n} captures failed (limit ${cfg.above}%)`
                : `Capture failures back to ${failed}% of the last ${n}`,
              fields: { failure_percent: failed, captures_considered: n, above: cfg.above },
            },
          ],
        };
      },
    };
  },
});
