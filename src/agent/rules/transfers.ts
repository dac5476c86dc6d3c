import { z } from "zod";
import { isPlainObject } from "../../protocol/json.ts";
import { ruleBase } from "./kit.ts";
import { type Condition, defineRule } from "./types.ts";

const isoMs = (v: unknown): number | null => {
  if (typeof v !== "string") return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
};

/**
 * A transfer (`edgewatch transfer --name N`) failed jobs.failures_alert times (3) within
 * jobs.failures_window (24 h), counting runs that gave up after all their attempts (its status
 * fragment's `transfers.<name>.recent_failures`). Clears as failures age out of the window.
 */
export const transferFailuresRule = defineRule({
  name: "transfer_failures",
  description: "A transfer failed jobs.failures_alert times (3) within jobs.failures_window (24 h)",
  config: () => z.strictObject(ruleBase({ severity: "warning", for: "0s", clear_for: "0s" })).prefault({}),
  create(cfg, config) {
    if (!cfg.enabled) return null;
    const { failures_alert: limit, failures_window: windowMs } = config.jobs;
    const hours = Math.round((windowMs / 3_600_000) * 10) / 10;
    return {
      name: "transfer_failures",
      forMs: cfg.for,
      clearForMs: cfg.clear_for,
      evaluate(input) {
        const all = input.state.document.transfers;
        const conditions: Condition[] = [];
        let wakeAt: number | undefined;
        for (const [name, t] of Object.entries(isPlainObject(all) ? all : {})) {
          if (!isPlainObject(t) || !Array.isArray(t.recent_failures)) continue;
          const times = t.recent_failures
            .map(isoMs)
            .filter((x): x is number => x !== null && input.now - x < windowMs)
            .sort((a, b) => a - b);
          const on = times.length >= limit;
          if (on) {
            // Re-evaluated when the oldest counted failure leaves the window.
            const out = (times[times.length - limit] as number) + windowMs;
            wakeAt = Math.min(wakeAt ?? Number.POSITIVE_INFINITY, out);
          }
          conditions.push({
            key: name,
            source: `transfer-${name}`,
            severity: on ? cfg.severity : null,
            value: times.length,
            summary: on
              ? `Transfer ${name} failed ${times.length} times in the last ${hours} h${typeof t.last_error === "string" ? `; last: ${t.last_error}` : ""}`
              : `Transfer ${name}: failures back under ${limit} in ${hours} h`,
            fields: { transfer: name, failures: times.length, limit },
          });
        }
        return wakeAt === undefined ? { conditions } : { conditions, wakeAt };
      },
    };
  },
});
