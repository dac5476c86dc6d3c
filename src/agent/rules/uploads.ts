import { z } from "zod";
import { duration } from "../../config/kit.ts";
import { isPlainObject } from "../../protocol/json.ts";
import { pickNumber, severity } from "./kit.ts";
import { type Condition, defineRule } from "./types.ts";

/**
 * Upload success rate from what an uploader writes into its status fragment: `uploads.success_rate`
 * (0–1), or `uploads.completed` and `uploads.failed` counts (the rate is completed / both).
 */
export function uploadRate(doc: unknown): { rate: number; total: number | null } | null {
  if (!isPlainObject(doc) || !isPlainObject(doc.uploads)) return null;
  const u = doc.uploads;
  const ok = pickNumber(u, ["completed", "completed_count", "succeeded"]);
  const bad = pickNumber(u, ["failed", "failed_count"]);
  if (ok !== null && bad !== null && ok + bad > 0) return { rate: ok / (ok + bad), total: ok + bad };
  const r = pickNumber(u, ["success_rate"]);
  return r === null ? null : { rate: r, total: null };
}

export const uploadSuccessRule = defineRule({
  name: "upload_success_rate",
  description:
    "Upload success rate below a limit for an hour (uploads.success_rate or completed/failed in a status fragment)",
  config: () =>
    z
      .strictObject({
        enabled: z.boolean().default(true).describe("Evaluate this rule"),
        severity: severity().default("warning").describe("Severity of the alert"),
        below: z.number().min(0).max(100).default(95).describe("Alert when the upload success rate is below this (%)"),
        for: duration().prefault("1h").describe("The rate must stay low this long before the alert fires"),
        clear_for: duration().prefault("5m").describe("A firing alert resolves only after this long back at or above"),
      })
      .prefault({}),
  create(cfg) {
    if (!cfg.enabled) return null;
    return {
      name: "upload_success_rate",
      forMs: cfg.for,
      clearForMs: cfg.clear_for,
      evaluate(input) {
        const r = uploadRate(input.state.document);
        if (!r) return { conditions: [] };
        const pct = Math.round(r.rate * 10_000) / 100;
        const low = pct < cfg.below;
        const of = r.total === null ? "" : ` of ${r.total} uploads`;
        const c: Condition = {
          key: "",
          severity: low ? cfg.severity : null,
          value: pct,
          summary: low
            ? `Upload success rate ${pct}%${of} (below ${cfg.below}%)`
            : `Upload success rate back to ${pct}%${of}`,
          fields: { success_percent: pct, below: cfg.below, ...(r.total === null ? {} : { uploads: r.total }) },
        };
        return { conditions: [c] };
      },
    };
  },
});
