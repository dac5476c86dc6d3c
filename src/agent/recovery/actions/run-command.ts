import { runCommand } from "../../../lib/spawn.ts";
import type { ActionSpec } from "../config.ts";
import type { RecoveryAction } from "./types.ts";

export type CommandSpec = Extract<ActionSpec, { type: "command" }>;

/** `{type: command, argv, timeout}`: run a command. */
export function commandAction(spec: CommandSpec): RecoveryAction {
  const label = spec.argv.join(" ");
  return {
    kind: "command",
    label,
    argvs: [spec.argv],
    run: () => runCommand(spec.argv, spec.timeout, label),
  };
}
