import { z } from "zod";
import type { RunResult } from "../../../lib/spawn.ts";

/** What one action run did (the shared spawn helper's result). */
export type ActionResult = RunResult;

/** One recovery action behind one interface: build from config once, run many times. */
export interface RecoveryAction {
  /** The kind of action (its file in actions/): "command", "systemd", "camera", "reboot". */
  readonly kind: string;
  /** Human-readable label for logs. */
  readonly label: string;
  /** Every argv this action may execute (for the sudoers lines `edgewatch install` prints). */
  readonly argvs: string[][];
  run(): Promise<ActionResult>;
}

/** The config of one action kind: an object whose `type` is the kind's name. */
export type ActionSchema = z.ZodObject<{ type: z.ZodLiteral<string> } & z.ZodRawShape>;

/**
 * One configurable action kind, in one file: its config schema (`{type: <kind>, ...}`, a member of
 * every action field's union) and how to build the action from a parsed spec.
 */
export interface ActionKind<S extends ActionSchema = ActionSchema> {
  /** The kind's name: the `type` its schema accepts. */
  readonly type: z.output<S>["type"];
  /** Builds the schema (called to validate, never kept). */
  readonly schema: () => S;
  create(spec: z.output<S>): RecoveryAction;
}

export function defineAction<S extends ActionSchema>(kind: ActionKind<S>): ActionKind<S> {
  return kind;
}

/** A program and its arguments; never run through a shell. */
export const argvSchema = () =>
  z
    .array(z.string().min(1))
    .min(1, { error: 'expected a command as an argv array like ["sudo", "/usr/bin/systemctl", "restart", "x"]' });

/** A systemd unit name; `example` is quoted in the error. */
export const unitName = (example: string) =>
  z.string().regex(/^[A-Za-z0-9@._:-]+\.(service|target|socket|timer|path)$/, {
    error: `expected a systemd unit name like "${example}"`,
  });
