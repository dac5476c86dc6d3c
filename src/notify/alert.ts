import type { JsonObject } from "../protocol/json.ts";
import type { Level } from "../protocol/names.ts";

/** An alert as its producer (rules, recovery, jobs) publishes it into state. */
export interface AlertState {
  id: string;
  rule: string;
  severity: "info" | "warning" | "critical";
  state: "pending" | "firing" | "resolved" | "flapping";
  summary: string;
  since: string;
  fields?: JsonObject;
}

export type NoticeKind = "firing" | "resolved" | "escalated" | "repeat" | "flapping";

/** An alert as the API, the state topic and notifications see it. */
export interface AlertView extends AlertState {
  key: string;
  source?: string;
  value?: number;
  level: Level;
  firing_since?: string;
  resolved_at?: string;
  silenced: boolean;
  flapping: boolean;
}

/** An alert as a notification carries it: what every producer publishes, plus the rules' details when present. */
export type NoticeAlert = AlertState & Partial<Omit<AlertView, keyof AlertState>>;

/** What the notifier takes: one notification about one alert. */
export interface AlertNotice {
  kind: NoticeKind;
  alert: NoticeAlert;
  level: Level;
  /** Same key → same notification: the outbox never sends one key twice. */
  dedupeKey: string;
  /** "event": born from a protocol event (must reach disk before the event is acknowledged). */
  origin: "event" | "state";
  text: string;
}

export type NoticeSink = (notice: AlertNotice) => Promise<void>;
