import { z } from "zod";
import { duration } from "../../config/kit.ts";
import { byteSize, collectorData, fmtBytes, pickNumber, thresholdSeverity } from "./kit.ts";
import { type Condition, defineRule } from "./types.ts";

/**
 * Free space in bytes per mount (system collector's `disks[].free_bytes`), beside the percent rule
 * `disk`: on a large card 90 % used can still leave plenty, on a small one 80 % may be too late.
 */
export const diskFreeRule = defineRule({
  name: "disk_free",
  description: "Free disk space per mount below a size (system collector), beside the percent rule",
  config: () =>
    z
      .strictObject({
        enabled: z.boolean().default(true).describe("Evaluate this rule"),
        warning_below: byteSize()
          .default(5e9)
          .describe('Warning when a mount has less free space than this (a number of bytes or "5GB")'),
        critical_below: byteSize()
          .default(1e9)
          .describe('Critical when a mount has less free space than this (a number of bytes or "1GB")'),
        clear_margin: byteSize()
          .default(2.5e8)
          .describe("Hysteresis: a level clears only once free space is this much above its limit"),
        for: duration().prefault("5m").describe("Free space must stay low this long before the alert fires"),
        clear_for: duration().prefault("1m").describe("A firing alert resolves only after this long above the limit"),
      })
      .refine((c) => c.critical_below <= c.warning_below, { error: "expected critical_below <= warning_below" })
      .prefault({}),
  create(cfg) {
    if (!cfg.enabled) return null;
    // Negated, "less free than" becomes the kit's "at or above" with the same hysteresis.
    const t = { warning: -cfg.warning_below, critical: -cfg.critical_below, clear_margin: cfg.clear_margin };
    return {
      name: "disk_free",
      forMs: cfg.for,
      clearForMs: cfg.clear_for,
      evaluate(input, prev) {
        const disks = collectorData(input.state, "system")?.disks;
        const conditions: Condition[] = [];
        for (const d of Array.isArray(disks) ? disks : []) {
          const free = pickNumber(d, ["free_bytes"]);
          const mount = (d as { mount?: unknown }).mount;
          if (free === null || typeof mount !== "string") continue;
          const sev = thresholdSeverity(-free, prev.get(mount), t);
          const limit = sev === "critical" ? cfg.critical_below : cfg.warning_below;
          conditions.push({
            key: mount,
            severity: sev,
            value: free,
            summary: sev
              ? `Disk ${mount}: ${fmtBytes(free)} free (${sev} below ${fmtBytes(limit)})`
              : `Disk ${mount}: ${fmtBytes(free)} free again`,
            fields: { free_bytes: free, warning_below: cfg.warning_below, critical_below: cfg.critical_below },
          });
        }
        return { conditions };
      },
    };
  },
});
