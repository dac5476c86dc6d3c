import { z } from "zod";
import { duration } from "../../config/kit.ts";
import { LEVELS, levelRank } from "../../protocol/names.ts";
import { severity } from "./kit.ts";
import { type Condition, defineRule } from "./types.ts";

/**
 * Error and critical events from writers. One alert per source + code (or message when there is no
 * code): repeats of the same error while it is firing do not notify again. It clears when the same
 * source sends an info/debug event with the same code (or `fields.resolved: true`), or after
 * `resolve_after` without a repeat.
 */
export const eventsRule = defineRule({
  name: "events",
  description: "Error and critical events written by programs (edgewatch event, emitEvent, clients)",
  config: z
    .strictObject({
      enabled: z.boolean().default(true).describe("Evaluate this rule"),
      min_level: z.enum(LEVELS).default("error").describe("Events at or above this level raise an alert"),
      error_severity: severity().default("warning").describe("Alert severity of an error event"),
      critical_severity: severity().default("critical").describe("Alert severity of a critical event"),
      resolve_after: duration()
        .prefault("1h")
        .describe("An event alert resolves itself after this long without the same event again"),
    })
    .prefault({}),
  create(cfg) {
    if (!cfg.enabled) return null;
    const min = levelRank(cfg.min_level);
    return {
      name: "events",
      forMs: 0,
      clearForMs: 0,
      onEvent(ev, input): Condition[] {
        const key = `${ev.source}:${ev.code ?? ev.message.slice(0, 120)}`;
        const resolved = ev.fields?.resolved === true;
        if (levelRank(ev.level) >= min && !resolved) {
          const sev = ev.level === "critical" ? cfg.critical_severity : cfg.error_severity;
          return [
            {
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
            },
          ];
        }
        if ((levelRank(ev.level) <= levelRank("info") || resolved) && ev.code) {
          return [{ key, source: ev.source, severity: null, summary: `${ev.source}: ${ev.message}` }];
        }
        return [];
      },
    };
  },
});
