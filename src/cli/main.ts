import { ConfigError } from "../config/load.ts";
import { EdgewatchError } from "../protocol/errors.ts";
import { EXIT_FAIL, EXIT_USAGE, UsageError } from "./command.ts";
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
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(
      `edgewatch: unknown command ${JSON.stringify(name)}; expected one of: ${commands.map((c) => c.name).join(", ")}\n`,
    );
    return EXIT_USAGE;
  }
  const own = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  if (own.includes("--help") || own.includes("-h")) {
    process.stdout.write(`${cmd.usage}\n`);
    return 0;
  }
  try {
    return await cmd.run(args);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`edgewatch ${cmd.name}: ${err.message}\n\n${cmd.usage}\n`);
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
