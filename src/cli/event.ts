import { emitEvent } from "../protocol/events.ts";
import type { JsonObject } from "../protocol/json.ts";
import { checkLevel } from "../protocol/names.ts";
import { configOption, defineCommand, dirOption, EXIT_OK, parse, resolveDir, UsageError } from "./command.ts";
import { parseAssignment } from "./status.ts";

export default defineCommand({
  name: "event",
  usage: `Usage: edgewatch event LEVEL MESSAGE [--code C] [--source S] [--field k=v ...]

LEVEL is one of debug, info, warning, error, critical.

Options:
  -s, --source S    the writing program's name (default: "cli")
      --code C      a stable error code, e.g. CAP-001
  -f, --field k=v   extra field (repeatable); v is JSON when it parses
  -d, --dir DIR     status directory (default: $EDGEWATCH_DIR, else the config's status_dir)
  -c, --config FILE config file
  -h, --help        this help

Example:
  edgewatch event error "capture failed: camera timeout" --source timelapse --code CAP-001 --field attempt=3`,
  async run(args) {
    const { values, positionals } = parse(args, {
      source: { type: "string", short: "s" },
      code: { type: "string" },
      field: { type: "string", short: "f", multiple: true },
      ...dirOption,
      ...configOption,
    });
    if (positionals.length !== 2) {
      throw new UsageError(
        `expected LEVEL and MESSAGE, got ${positionals.length} argument${positionals.length === 1 ? "" : "s"}`,
      );
    }
    const [level, message] = positionals as [string, string];
    try {
      checkLevel(level);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (message === "") throw new UsageError("MESSAGE: expected a non-empty message");
    let fields: JsonObject | undefined;
    for (const f of values.field ?? []) {
      const { key, value } = parseAssignment(f);
      fields ??= {};
      fields[key] = value;
    }
    await emitEvent(
      values.source ?? "cli",
      {
        level: checkLevel(level),
        message,
        ...(values.code ? { code: values.code } : {}),
        ...(fields ? { fields } : {}),
      },
      { dir: resolveDir(values) },
    );
    return EXIT_OK;
  },
});
