import { readDeviceStatus } from "../index.ts";
import { updateStatus } from "../protocol/fragment.ts";
import { getPath, type JsonObject, setPath } from "../protocol/json.ts";
import {
  configOption,
  defineCommand,
  dirOption,
  EXIT_FAIL,
  EXIT_OK,
  parse,
  resolveConfig,
  resolveDir,
  UsageError,
} from "./command.ts";

const KEY_RE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** `a.b=value`: the value is JSON when it parses as JSON, else the string itself. */
export function parseAssignment(arg: string): { key: string; value: unknown } {
  const eq = arg.indexOf("=");
  if (eq <= 0) throw new UsageError(`expected key.path=value, got ${JSON.stringify(arg)}`);
  const key = arg.slice(0, eq);
  if (!KEY_RE.test(key)) {
    throw new UsageError(`expected a key path of letters, digits, _ and - joined by dots, got ${JSON.stringify(key)}`);
  }
  const text = arg.slice(eq + 1);
  try {
    return { key, value: JSON.parse(text) };
  } catch {
    return { key, value: text };
  }
}

export default defineCommand({
  name: "status",
  summary: "set or read the device status (status protocol v1)",
  usage: `Usage:
  edgewatch status set [--source S] key.path=value ...
  edgewatch status get [key.path] [--json]

set   deep-merges the values into source S's own fragment (default source: "cli").
      A value is parsed as JSON when it parses (42, true, {"a":1}, "quoted"), else kept as a string.
get   prints the merged device document, or one value of it.

Options:
  -s, --source S    the writing program's name ([a-z0-9][a-z0-9_-]{0,63})
  -d, --dir DIR     status directory (default: $EDGEWATCH_DIR, else the config's status_dir)
  -c, --config FILE config file (default: $EDGEWATCH_CONFIG)
      --json        print values as JSON
  -h, --help        this help

Examples:
  edgewatch status set --source timelapse status=capturing today.photos_captured=342
  edgewatch status get today.photos_captured`,
  async run(args) {
    const { values, positionals } = parse(args, {
      source: { type: "string", short: "s" },
      json: { type: "boolean" },
      ...dirOption,
      ...configOption,
    });
    const [verb, ...rest] = positionals;
    if (verb === "set") {
      if (rest.length === 0) throw new UsageError("status set: expected at least one key.path=value");
      const patch: JsonObject = {};
      for (const a of rest) {
        const { key, value } = parseAssignment(a);
        setPath(patch, key, value);
      }
      await updateStatus(values.source ?? "cli", patch, { dir: resolveDir(values) });
      return EXIT_OK;
    }
    if (verb === "get") {
      if (rest.length > 1) throw new UsageError(`status get: expected at most one key path, got ${rest.length}`);
      const config = values.dir || process.env.EDGEWATCH_DIR ? undefined : resolveConfig(values);
      const doc = await readDeviceStatus({ dir: resolveDir(values), legacyStatusFile: config?.legacy_status_file });
      const value = rest[0] === undefined ? doc : getPath(doc, rest[0]);
      if (value === undefined) {
        process.stderr.write(`edgewatch status get: no value at ${rest[0]}\n`);
        return EXIT_FAIL;
      }
      const text =
        typeof value === "string" && !values.json
          ? value
          : JSON.stringify(value, null, values.json || typeof value === "object" ? 2 : 0);
      process.stdout.write(`${text}\n`);
      return EXIT_OK;
    }
    throw new UsageError(`expected "set" or "get", got ${verb === undefined ? "nothing" : JSON.stringify(verb)}`);
  },
});
