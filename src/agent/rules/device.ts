import { z } from "zod";
import { duration } from "../../config/kit.ts";
import { ruleBase as base, collectorData, pickBoolean, severity } from "./kit.ts";
import { type Condition, defineRule } from "./types.ts";

/**
 * No capture for 5 minutes during the capture window (schedule collector's `stalled`; the limit is
 * `collectors.schedule.stall_after`, or stall_factor × interval for a slower timelapse).
 */
export const captureStalledRule = defineRule({
  name: "capture_stalled",
  description:
    "No capture for 5 minutes during the capture window (collectors.schedule.stall_after; the schedule collector)",
  config: () => z.strictObject(base({ severity: "critical", for: "0s", clear_for: "0s" })).prefault({}),
  create(cfg) {
    if (!cfg.enabled) return null;
    return {
      name: "capture_stalled",
      forMs: cfg.for,
      clearForMs: cfg.clear_for,
      evaluate(input) {
        const data = collectorData(input.state, "schedule");
        const stalled = pickBoolean(data, ["stalled", "capture_stalled"]);
        if (stalled === null) return { conditions: [] };
        const reason = typeof data?.reason === "string" ? `: ${data.reason}` : "";
        return {
          conditions: [
            {
              key: "",
              severity: stalled ? cfg.severity : null,
              summary: stalled ? `No capture during the capture window${reason}` : "Capturing again",
              fields: data ?? {},
            },
          ],
        };
      },
    };
  },
});

const THROTTLE_FLAGS: [string, string, string[]][] = [
  ["under_voltage", "Under-voltage detected (check the power supply)", ["now.under_voltage", "under_voltage_alarm"]],
  ["throttled", "CPU throttled", ["now.throttled"]],
  ["arm_frequency_capped", "ARM frequency capped", ["now.arm_frequency_capped"]],
  ["soft_temperature_limit", "Soft temperature limit active", ["now.soft_temperature_limit"]],
];

/** Raspberry Pi power/throttling flags "now" (rpi_power collector: get_throttled bits 0–3). */
export const throttlingRule = defineRule({
  name: "throttling",
  description: "Raspberry Pi under-voltage / throttling now (rpi_power collector)",
  config: () =>
    z
      .strictObject({
        ...base({ severity: "warning", for: "0s", clear_for: "1m" }),
        under_voltage_severity: severity()
          .default("critical")
          .describe("Severity of under-voltage (a bad power supply)"),
      })
      .prefault({}),
  create(cfg) {
    if (!cfg.enabled) return null;
    return {
      name: "throttling",
      forMs: cfg.for,
      clearForMs: cfg.clear_for,
      evaluate(input) {
        const data = collectorData(input.state, "rpi_power");
        if (!data) return { conditions: [] };
        const conditions: Condition[] = [];
        for (const [key, label, paths] of THROTTLE_FLAGS) {
          const on = pickBoolean(data, paths);
          if (on === null) continue;
          const sev = key === "under_voltage" ? cfg.under_voltage_severity : cfg.severity;
          conditions.push({ key, severity: on ? sev : null, summary: on ? label : `${label}: cleared` });
        }
        return { conditions };
      },
    };
  },
});

/** A collector whose runs keep failing (its CollectorResult.ok is false). */
export const collectorFailingRule = defineRule({
  name: "collector_failing",
  description: "A collector keeps failing",
  config: () => z.strictObject(base({ severity: "warning", for: "5m", clear_for: "0s" })).prefault({}),
  create(cfg) {
    if (!cfg.enabled) return null;
    return {
      name: "collector_failing",
      forMs: cfg.for,
      clearForMs: cfg.clear_for,
      evaluate(input) {
        const conditions: Condition[] = [];
        for (const r of input.state.collectors.values()) {
          conditions.push({
            key: r.collector,
            severity: r.ok ? null : cfg.severity,
            summary: r.ok
              ? `Collector ${r.collector} works again`
              : `Collector ${r.collector} failing: ${r.error ?? "error"}`,
          });
        }
        return { conditions };
      },
    };
  },
});

/** A writing program stopped updating its status fragment (its heartbeat). */
export const heartbeatStaleRule = defineRule({
  name: "heartbeat_stale",
  description: "A source's heartbeat (its status fragment's mtime) is older than its timeout",
  config: () =>
    z
      .strictObject({
        ...base({ severity: "critical", for: "0s", clear_for: "0s" }),
        sources: z
          .record(
            z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, { error: 'expected a source name like "timelapse"' }),
            duration(),
          )
          .default({})
          .describe('Timeout per source, e.g. {timelapse: "2m", recorder: "30s"}'),
        default_timeout: duration()
          .optional()
          .describe("Timeout for every other source (unset: only the sources listed are watched)"),
        ignore: z.array(z.string()).default([]).describe("Sources never watched (with default_timeout)"),
      })
      .prefault({}),
  create(cfg) {
    if (!cfg.enabled) return null;
    const timeoutOf = (source: string): number | undefined =>
      cfg.sources[source] ?? (cfg.ignore.includes(source) ? undefined : cfg.default_timeout);
    return {
      name: "heartbeat_stale",
      forMs: cfg.for,
      clearForMs: cfg.clear_for,
      evaluate(input, prev) {
        const beats = input.heartbeats();
        const conditions: Condition[] = [];
        let wakeAt: number | undefined;
        for (const [source, at] of beats) {
          const timeout = timeoutOf(source);
          if (timeout === undefined) continue;
          const age = input.now - at;
          const stale = age > timeout;
          conditions.push({
            key: source,
            source,
            severity: stale ? cfg.severity : null,
            value: age / 1000,
            summary: stale
              ? `${source}: no heartbeat for ${Math.round(age / 1000)} s (timeout ${Math.round(timeout / 1000)} s)`
              : `${source}: heartbeat back`,
          });
          if (!stale) wakeAt = Math.min(wakeAt ?? Number.POSITIVE_INFINITY, at + timeout + 1);
        }
        for (const key of prev.keys()) {
          if (!beats.has(key))
            conditions.push({ key, source: key, severity: null, summary: `${key}: status file removed` });
        }
        // A listed source that never wrote at all is stale too, from agent start.
        for (const [source, timeout] of Object.entries(cfg.sources)) {
          if (beats.has(source)) continue;
          const since = input.state.startedAt;
          const stale = input.now - since > timeout;
          conditions.push({
            key: source,
            source,
            severity: stale ? cfg.severity : null,
            summary: stale
              ? `${source}: never reported (timeout ${Math.round(timeout / 1000)} s)`
              : `${source}: waiting`,
          });
          if (!stale) wakeAt = Math.min(wakeAt ?? Number.POSITIVE_INFINITY, since + timeout + 1);
        }
        return wakeAt === undefined ? { conditions } : { conditions, wakeAt };
      },
    };
  },
});
