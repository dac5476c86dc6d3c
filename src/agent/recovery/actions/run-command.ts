import { z } from "zod";
import { duration } from "../../../config/kit.ts";
import { runCommand } from "../../../lib/spawn.ts";
import { argvSchema, defineAction, type RecoveryAction } from "./types.ts";

const schema = () =>
  z
    .strictObject({
      type: z.literal("command"),
      argv: argvSchema().describe("Program and arguments (argv array; no shell)"),
      timeout: duration().default(30_000).describe("A command still running after this is killed and reported"),
    })
    .describe("Run a command");

export type CommandSpec = z.output<ReturnType<typeof schema>>;

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

export const command = defineAction({ type: "command", schema, create: commandAction });
