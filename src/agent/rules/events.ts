import { z } from "zod";
import { duration } from "../../config/kit.ts";
import type { DeviceEvent } from "../../protocol/events.ts";
import { isPlainObject } from "../../protocol/json.ts";
import { LEVELS, levelRank } from "../../protocol/names.ts";
import { isCameraFailure } from "../collectors/index.ts";
import { severity } from "./kit.ts";
import { type Condition, defineRule, type RuleInput } from "./types.ts";

/**
 * Warning, error and critical events from writers. One alert per source + code (or message when
 * there is no code): repeats of the same error while it is firing do not notify again. It clears
 * when the same source sends an info/debug event with the same code (or `fields.resolved: true`),
 * or after `resolve_after` without a repeat.
 *
 * Capture errors are the exception: one failed photo is counted (camera collector) but not
 * alerted; `capture_consecutive` of them in a row from one source raise one alert
 * (`<source>:capture`), and a successful capture (a new `last_capture` with `success: true`, or a
 * non-error event from that source) starts the count again and clears it.
 */
export const eventsRule = defineRule({
  name: "events",
  description: "Warning, error and critical events written by programs (edgewatch event, emitEvent, clients)",
  config: () =>
    z
      .strictObject({
        enabled: z.boolean().default(true).describe("Evaluate this rule"),
        min_level: z.enum(LEVELS).default("warning").describe("Events at or above this level raise an alert"),
        warning_severity: severity().default("warning").describe("Alert severity of a warning event"),
        error_severity: severity().default("warning").describe("Alert severity of an error event"),
        critical_severity: severity().default("critical").describe("Alert severity of a critical event"),
        capture_consecutive: z
          .number()
          .int()
          .min(1)
          .default(3)
          .describe(
            "Capture errors (error events with a CAP-* code, or from collectors.camera.error_sources) alert only when this many come in a row from one program; a successful capture in between starts again (1: alert on every one). Critical ones alert at once",
          ),
        quiet_codes: z
          .array(z.string().min(1))
          .default(["JOB-RETRY", "XFER-RETRY", "REC-RESTART", "REC-CAMERA_RECOVER"])
          .describe(
            "Event codes that never raise an alert: retries that may still succeed (the final failure has its own code), and recovery steps whose watch raises its own alert",
          ),
        resolve_after: duration()
          .prefault("1h")
          .describe("An event alert resolves itself after this long without the same event again"),
      })
      .prefault({}),
  create(cfg, config) {
    if (!cfg.enabled) return null;
    const min = levelRank(cfg.min_level);
    const captureSources = config.collectors.camera.error_sources;
    /** Capture errors in a row, per source. */
    const streak = new Map<string, number>();
    let lastCaptureTime: unknown;

    const captureKey = (source: string) => `${source}:capture`;

    function captureError(ev: DeviceEvent, input: RuleInput): Condition[] {
      const n = (streak.get(ev.source) ?? 0) + 1;
      streak.set(ev.source, n);
      if (n < cfg.capture_consecutive) return [];
      return [
        {
          key: captureKey(ev.source),
          source: ev.source,
          severity: cfg.error_severity,
          level: "error",
          value: n,
          summary: `${ev.source}: ${n} capture errors in a row, latest: ${ev.message}`,
          fields: {
            event_time: ev.time,
            event_level: ev.level,
            source: ev.source,
            message: ev.message,
            consecutive: n,
            ...(ev.code ? { code: ev.code } : {}),
            ...(ev.fields ? { event_fields: ev.fields } : {}),
          },
          expiresAt: input.now + cfg.resolve_after,
        },
      ];
    }

    function captureOk(source: string, why: string): Condition {
      streak.delete(source);
      return { key: captureKey(source), source, severity: null, summary: `${source}: ${why}` };
    }

    return {
      name: "events",
      forMs: 0,
      clearForMs: 0,
      evaluate(input, prev) {
        const lc = input.state.document.last_capture;
        if (!isPlainObject(lc) || lc.success !== true || lc.time === lastCaptureTime) return { conditions: [] };
        lastCaptureTime = lc.time;
        const conditions: Condition[] = [];
        for (const source of streak.keys()) conditions.push(captureOk(source, "captures working again"));
        for (const key of prev.keys()) {
          const source = key.endsWith(":capture") ? key.slice(0, -":capture".length) : null;
          if (source !== null && !streak.has(source)) conditions.push(captureOk(source, "captures working again"));
        }
        return { conditions };
      },
      onEvent(ev, input): Condition[] {
        const key = `${ev.source}:${ev.code ?? ev.message.slice(0, 120)}`;
        const resolved = ev.fields?.resolved === true;
        const rank = levelRank(ev.level);
        const out: Condition[] = [];
        if (rank < levelRank("error") && streak.has(ev.source)) out.push(captureOk(ev.source, ev.message));
        if (ev.level === "error" && !resolved && isCameraFailure(ev, captureSources)) {
          return [...out, ...captureError(ev, input)];
        }
        if (ev.code && cfg.quiet_codes.includes(ev.code)) return out;
        if (rank >= min && !resolved) {
          const sev =
            ev.level === "critical"
              ? cfg.critical_severity
              : ev.level === "warning"
                ? cfg.warning_severity
                : ev.level === "error"
                  ? cfg.error_severity
                  : "info";
          out.push({
            key,
            source: ev.source,
            severity: sev,
            level: ev.level,
            summary: `${ev.source}: ${ev.message}`,
            fields: {
              event_time: ev.time,
              event_level: ev.level,
              source: ev.source,
              message: ev.message,
              ...(ev.code ? { code: ev.code } : {}),
              ...(ev.fields ? { event_fields: ev.fields } : {}),
            },
            expiresAt: input.now + cfg.resolve_after,
          });
          return out;
        }
        if ((rank <= levelRank("info") || resolved) && ev.code) {
          out.push({ key, source: ev.source, severity: null, summary: `${ev.source}: ${ev.message}` });
        }
        return out;
      },
    };
  },
});
