import type { AlertNotice, AlertState, AlertView } from "../notify/alert.ts";
import type { DeviceEvent } from "../protocol/events.ts";
import type { JsonObject } from "../protocol/json.ts";
import type { Level } from "../protocol/names.ts";

export type Severity = "info" | "warning" | "critical";

/** What a rule says about one instance (a source, a mount, or "" for device-wide rules) right now. */
export interface Condition {
  /** Instance within the rule: "" for device-wide rules, the source name for per-source rules. */
  key: string;
  /** null: the condition is clear. */
  severity: Severity | null;
  summary: string;
  /** The writing program this is about, when there is one (silences can match it). */
  source?: string;
  value?: number;
  fields?: JsonObject;
  /** Notification level; defaults to the severity's (warning → warning, critical → critical). */
  level?: Level;
  /** Event-born conditions clear themselves at this time unless refreshed (ms since epoch). */
  expiresAt?: number;
}

export interface RuleEvaluation {
  /** One entry per instance the rule has data for; instances not mentioned keep their state. */
  conditions: Condition[];
  /** Ask to be evaluated again at this time (e.g. when a heartbeat turns stale), ms since epoch. */
  wakeAt?: number;
}

/**
 * A configured, ready-to-evaluate rule over the input its program gives it (`In`: the agent's
 * device state and heartbeats, the hub's fleet).
 */
export interface Rule<In = unknown> {
  readonly name: string;
  /** How long a condition must hold before the alert fires (ms). */
  readonly forMs: number;
  /** How long a firing condition must stay clear before the alert resolves (ms). */
  readonly clearForMs: number;
  /** Level-type rules: called on state changes and deadline wake-ups. `prev` is each active instance's severity. */
  evaluate?(input: In, prev: ReadonlyMap<string, Severity>): RuleEvaluation;
  /** Event-type rules: called for every protocol event. */
  onEvent?(ev: DeviceEvent, input: In): Condition[];
}

export interface Silence {
  id: string;
  rules?: string[];
  sources?: string[];
  while_status?: string[];
  daily?: string;
  /** ms since epoch */
  starts_at?: number;
  ends_at?: number;
  comment?: string;
  origin: "config" | "api";
}

export interface HistoryEntry {
  at: string;
  id: string;
  rule: string;
  key: string;
  state: "firing" | "resolved" | "flapping" | "escalated";
  severity: Severity;
  summary: string;
  value?: number;
}

/**
 * One change the engine publishes: an alert as it stands now, the notification it brings (null: none,
 * e.g. silenced), and whether it leaves the list of active alerts.
 */
export interface AlertChange {
  alert: AlertView;
  notice: AlertNotice | null;
  remove: boolean;
}

export type { AlertNotice, AlertState, AlertView };
