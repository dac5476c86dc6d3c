import { z } from "zod";
import { collectorData, ruleBase } from "./kit.ts";
import { defineRule } from "./types.ts";

/** The Redis the device's programs use does not answer PING (redis collector, `collectors.redis.url`). */
export const redisDownRule = defineRule({
  name: "redis_down",
  description: "Redis does not answer (redis collector; set collectors.redis.url)",
  config: () => z.strictObject(ruleBase({ severity: "critical", for: "1m", clear_for: "0s" })).prefault({}),
  create(cfg) {
    if (!cfg.enabled) return null;
    return {
      name: "redis_down",
      forMs: cfg.for,
      clearForMs: cfg.clear_for,
      evaluate(input) {
        const d = collectorData(input.state, "redis");
        if (!d || typeof d.up !== "boolean") return { conditions: [] };
        const target = typeof d.target === "string" ? d.target : "Redis";
        return {
          conditions: [
            {
              key: "",
              severity: d.up ? null : cfg.severity,
              summary: d.up ? `Redis ${target} answers again` : `Redis ${target} is down: ${String(d.error)}`,
              fields: { target, error: d.error ?? null },
            },
          ],
        };
      },
    };
  },
});
