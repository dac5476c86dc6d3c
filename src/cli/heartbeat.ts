import { heartbeat } from "../protocol/fragment.ts";
import { configOption, defineCommand, dirOption, EXIT_OK, parse, resolveDir, UsageError } from "./command.ts";

export default defineCommand({
  name: "heartbeat",
  usage: `Usage: edgewatch heartbeat SOURCE [--dir DIR]

Options:
  -d, --dir DIR     status directory (default: $EDGEWATCH_DIR, else the config's status_dir)
  -c, --config FILE config file
  -h, --help        this help`,
  async run(args) {
    const { values, positionals } = parse(args, { ...dirOption, ...configOption });
    if (positionals.length !== 1) throw new UsageError(`expected one SOURCE, got ${positionals.length}`);
    await heartbeat(positionals[0] as string, { dir: resolveDir(values) });
    return EXIT_OK;
  },
});
