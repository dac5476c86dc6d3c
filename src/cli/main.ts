import { ConfigError } from "../config/load.ts";
import { EdgewatchError } from "../protocol/errors.ts";
import { type Command, EXIT_FAIL, EXIT_USAGE, UsageError } from "./command.ts";
import { commands } from "./commands.ts";

const VERSION = "0.1.0";

function topHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `edgewatch ${VERSION}: observability and self-healing for remote camera devices

Usage: edgewatch COMMAND [options]      (edgewatch COMMAND --help for each)

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Environment:
  EDGEWATCH_CONFIG  config file when --config is not given
  EDGEWATCH_DIR     status directory (overrides the config's status_dir)
`;
}

/** The one usage line that fits what was typed (`status set …` → the set line), and where the rest is. */
function usageLine(cmd: Command, args: string[]): string {
  const forms = cmd.usage
    .split("\n")
    .map((l) =>
      l
        .replace(/^Usage:\s*/, "")
        .trim()
        .replace(/\s{2,}.*$/, ""),
    )
    .filter((l) => l.startsWith(`edgewatch ${cmd.name}`));
  const verb = args.find((a) => !a.startsWith("-"));
  const form = forms.find((f) => verb !== undefined && f.startsWith(`edgewatch ${cmd.name} ${verb}`)) ?? forms[0];
  return `usage: ${form ?? `edgewatch ${cmd.name} …`}   (edgewatch ${cmd.name} --help for all of it)`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(topHelp());
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === "--version" || name === "-V") {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(
      `edgewatch: unknown command ${JSON.stringify(name)}; expected one of: ${commands.map((c) => c.name).join(", ")}\n`,
    );
    return EXIT_USAGE;
  }
  // Only the command that runs is loaded (src/cli/commands.ts).
  const cmd = (await entry.load()).default;
  if (cmd.name !== entry.name) throw new Error(`src/cli/commands.ts: ${entry.name} loads the command ${cmd.name}`);
  const own = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  if (own.includes("--help") || own.includes("-h")) {
    process.stdout.write(`${cmd.usage}\n`);
    return 0;
  }
  try {
    return await cmd.run(args);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`edgewatch ${cmd.name}: ${err.message}\n${usageLine(cmd, args)}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`edgewatch ${cmd.name}: invalid configuration:\n  ${err.problems.join("\n  ")}\n`);
      return EXIT_FAIL;
    }
    if (err instanceof EdgewatchError) {
      process.stderr.write(`edgewatch ${cmd.name}: ${err.message} [${err.code}]\n`);
      return EXIT_FAIL;
    }
    process.stderr.write(`edgewatch ${cmd.name}: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT_FAIL;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`edgewatch: ${String(err)}\n`);
    process.exitCode = EXIT_FAIL;
  },
);
