import type { AlertNotice, AlertState, NoticeAlert, NoticeKind } from "../notify/alert.ts";
import type { Level } from "../protocol/names.ts";
import type { Severity } from "./types.ts";

export const SEVERITY_LEVEL: Record<Severity, Level> = { info: "info", warning: "warning", critical: "critical" };

/**
 * The one text an alert notification says, whoever raised the alert (rules, recovery, jobs).
 * `alert.summary` is the text of the state it is in (a resolved alert's summary is its clear text).
 */
export function noticeText(kind: NoticeKind, alert: Pick<AlertState, "severity" | "summary">, since: number): string {
  switch (kind) {
    case "resolved":
      return `RESOLVED: ${alert.summary}`;
    case "flapping":
      return `FLAPPING: ${alert.summary} (fired repeatedly; quiet until it settles)`;
    case "repeat":
      return `STILL FIRING: ${alert.summary} (since ${new Date(since).toISOString()})`;
    default:
      return `${alert.severity.toUpperCase()}: ${alert.summary}`;
  }
}

/**
 * The one dedupe key scheme: alert id, the start of its episode, the notice kind, and what makes a
 * notice of that kind distinct within the episode (the repeat count, the escalation time). The
 * outbox never sends one key twice, so a producer that publishes the same state again is quiet.
 */
export function dedupeKey(id: string, episodeStart: number, kind: NoticeKind, extra = ""): string {
  return `${id}@${episodeStart}:${kind}${extra ? `:${extra}` : ""}`;
}

/** A notice about `alert`: its text, dedupe key and level from the pieces above. */
export function alertNotice(
  kind: NoticeKind,
  alert: NoticeAlert,
  o: { episodeStart: number; level?: Level; origin?: "event" | "state"; extra?: string },
): AlertNotice {
  return {
    kind,
    alert,
    level: o.level ?? alert.level ?? SEVERITY_LEVEL[alert.severity],
    dedupeKey: dedupeKey(alert.id, o.episodeStart, kind, o.extra),
    origin: o.origin ?? "state",
    text: noticeText(kind, alert, o.episodeStart),
  };
}

/**
 * The notice an alert published into state brings when its producer gives none (recovery, jobs):
 * one for firing and one for resolved, per episode (`since`); none for pending or flapping.
 */
export function publishedNotice(alert: AlertState): AlertNotice | null {
  if (alert.state !== "firing" && alert.state !== "resolved") return null;
  const since = Date.parse(alert.since);
  return alertNotice(alert.state, alert, { episodeStart: Number.isNaN(since) ? 0 : since });
}
