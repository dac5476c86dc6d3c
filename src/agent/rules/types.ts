import type { z } from "zod";
import type { JobsConfig } from "../../jobs/config.ts";
import type { Condition, Rule as EngineRule, RuleEvaluation, Severity } from "../../rules/types.ts";
import type { DeviceState } from "../state.ts";

export type { Condition, RuleEvaluation, Severity };

export interface RuleInput {
  readonly state: DeviceState;
  /** Each source's last fragment write, ms since epoch (the reader's heartbeats). */
  heartbeats(): Map<string, number>;
  readonly now: number;
}

/**
 * What a rule sees of the agent's config besides its own section (the agent's Config has it). Narrow on
 * purpose: the agent composes its schema from the rules' sections, so a rule must not import that Config.
 */
export interface RuleHost {
  readonly state_dir: string;
  readonly jobs: JobsConfig;
  readonly collectors: { readonly camera: { readonly error_sources: readonly string[] } };
  readonly alerts: { readonly preset: string };
}

/** A configured, ready-to-evaluate device rule (the shared engine's rule over the device's input). */
export type Rule = EngineRule<RuleInput>;

/**
 * A rule type: its config schema (a `alerts.rules.<name>` key with defaults) and a factory.
 * A new rule is one file exporting a RuleDefinition, added to the list in ./index.ts.
 */
export interface RuleDefinition<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  /** Builds the rule's config schema (called to validate, never kept). */
  readonly config: () => S;
  /** Returns null when the config disables the rule. */
  create(cfg: z.output<S>, config: RuleHost): Rule | null;
}

export function defineRule<S extends z.ZodType>(def: RuleDefinition<S>): RuleDefinition<S> {
  return def;
}
