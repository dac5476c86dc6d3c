import { existsSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { Config } from "../agent/config.ts";
import { loadConfig } from "../agent/config.ts";
import { EdgewatchError } from "../protocol/errors.ts";

export interface Command {
  /** The name it has in src/cli/commands.ts (which also holds its one-line summary for the top help). */
  name: string;
  /** Full help text, shown by --help and after a usage error. */
  usage: string;
  run(args: string[]): Promise<number>;
}

/** Wrong words on the command line: printed with the command's usage, exit code 2. */
export class UsageError extends EdgewatchError {
  constructor(message: string) {
    super("EW_USAGE", message);
  }
}

export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

export function defineCommand(c: Command): Command {
  return c;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node:util parseArgs, strict, with its errors turned into UsageErrors that say what was expected. */
export function parse<O extends Options>(args: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({
      args,
      options: { help: { type: "boolean", short: "h" }, ...options },
      allowPositionals,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ""));
  }
}

/**
 * For long-running commands (agent, hub): a closed output pipe (the supervisor's reader or a `| head`
 * went away) makes every write fail with EPIPE. Unhandled, that error is an uncaught exception whose
 * report is written to the same broken pipe, failing again: a loop at 100 % CPU. Writes to a broken
 * stdout or stderr are dropped instead; the process keeps doing its job.
 */
export function survivePipeErrors(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount("error") === 0) stream.on("error", () => {});
  }
}

export const configOption = { config: { type: "string", short: "c" } } as const;
export const dirOption = { dir: { type: "string", short: "d" } } as const;

/** The one default config file of every command, `install` and the docs. */
export const DEFAULT_CONFIG_PATH = "/etc/edgewatch/config.yaml";

/** The config file to read: --config, else $EDGEWATCH_CONFIG, else DEFAULT_CONFIG_PATH when it exists. */
export function configPath(values: { config?: string | undefined }): string | undefined {
  return (
    values.config ??
    (process.env.EDGEWATCH_CONFIG || (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined))
  );
}

/** Status dir for CLI commands: --dir, else $EDGEWATCH_DIR, else the config's status_dir. */
export function resolveDir(values: { dir?: string | undefined; config?: string | undefined }): string {
  if (values.dir) return values.dir;
  if (process.env.EDGEWATCH_DIR) return process.env.EDGEWATCH_DIR;
  return loadConfig(configPath(values)).config.status_dir;
}

export function resolveConfig(values: { config?: string | undefined }): Config {
  return loadConfig(configPath(values)).config;
}
