import type { z } from "zod";
import type { DeviceEvent } from "../../protocol/events.ts";
import type { JsonObject } from "../../protocol/json.ts";
import type { Level } from "../../protocol/names.ts";
import type { Config } from "../config.ts";
import type { DeviceState } from "../state.ts";

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

export interface RuleInput {
  readonly state: DeviceState;
  /** Each source's last fragment write, ms since epoch (the reader's heartbeats). */
  heartbeats(): Map<string, number>;
  readonly now: number;
}

export interface RuleEvaluation {
  /** One entry per instance the rule has data for; instances not mentioned keep their state. */
  conditions: Condition[];
  /** Ask to be evaluated again at this time (e.g. when a heartbeat turns stale), ms since epoch. */
  wakeAt?: number;
}

/** A configured, ready-to-evaluate rule. */
export interface Rule {
  readonly name: string;
  /** How long a condition must hold before the alert fires (ms). */
  readonly forMs: number;
  /** How long a firing condition must stay clear before the alert resolves (ms). */
  readonly clearForMs: number;
  /** Level-type rules: called on sample/status changes and deadline wake-ups. `prev` is each active instance's severity. */
  evaluate?(input: RuleInput, prev: ReadonlyMap<string, Severity>): RuleEvaluation;
  /** Event-type rules: called for every protocol event. */
  onEvent?(ev: DeviceEvent, input: RuleInput): Condition[];
}

/**
 * A rule type: its config schema (a `alerts.rules.<name>` key with defaults) and a factory.
 * A new rule is one file exporting a RuleDefinition, added to the list in ./index.ts.
 */
export interface RuleDefinition<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  readonly config: S;
  /** Returns null when the config disables the rule. */
  create(cfg: z.output<S>, config: Config): Rule | null;
}

export function defineRule<S extends z.ZodType>(def: RuleDefinition<S>): RuleDefinition<S> {
  return def;
}
