import { isPlainObject } from "../../protocol/json.ts";
import { collectorData, thresholdConfig, thresholdSeverity } from "./kit.ts";
import { defineRule } from "./types.ts";

/** The periodic camera test (`collectors.camera.test`) failed several times in a row. */
export const cameraTestFailingRule = defineRule({
  name: "camera_test_failing",
  description: "The periodic camera test (collectors.camera.test) failed several times in a row",
  config: () =>
    thresholdConfig({ warning: 2, critical: 3, clear_margin: 0, for: "0s", clear_for: "0s", unit: "failures" }),
  create(cfg) {
    if (!cfg.enabled) return null;
    const t = { warning: cfg.warning ?? 2, critical: cfg.critical ?? 3, clear_margin: cfg.clear_margin };
    return {
      name: "camera_test_failing",
      forMs: cfg.for,
      clearForMs: cfg.clear_for,
      evaluate(input, prev) {
        const test = collectorData(input.state, "camera")?.test;
        if (!isPlainObject(test) || typeof test.consecutive_failures !== "number") return { conditions: [] };
        const n = test.consecutive_failures;
        const sev = thresholdSeverity(n, prev.get(""), t);
        const why = test.last_result?.error ? `: ${test.last_result.error}` : "";
        return {
          conditions: [
            {
              key: "",
              severity: sev,
              value: n,
              summary: sev ? `Camera test failed ${n} times in a row${why}` : "Camera test passes again",
              fields: { consecutive_failures: n, command: String(test.command ?? "") },
            },
          ],
        };
      },
    };
  },
});
