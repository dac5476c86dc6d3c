import { existsSync } from "node:fs";
import { readDeviceStatus } from "../index.ts";
import { EdgewatchError } from "../protocol/errors.ts";
import { updateStatus } from "../protocol/fragment.ts";
import { getPath, type JsonObject, setPath } from "../protocol/json.ts";
import {
  configOption,
  DEFAULT_CONFIG_PATH,
  defineCommand,
  dirOption,
  EXIT_FAIL,
  EXIT_OK,
  parse,
  resolveConfig,
  resolveDir,
  UsageError,
} from "./command.ts";
import { gatherSummary } from "./status-summary/gather.ts";
import { renderSummary, useColor } from "./status-summary/render.ts";

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

/** A status dir that is not there is a typo or a stopped service, never an empty device. */
function requireDir(dir: string): void {
  if (!existsSync(dir)) {
    throw new EdgewatchError(
      "EW_NO_STATUS_DIR",
      `status directory ${dir} does not exist (a typo in --dir or $EDGEWATCH_DIR, or the agent's service has not created it yet)`,
    );
  }
}

export default defineCommand({
  name: "status",
  usage: `Usage:
  edgewatch status [--json]
  edgewatch status set [--source S] key.path=value ...
  edgewatch status get [key.path] [--json]

(none)  one screen about the whole device: its status and today's progress, the agent, each watched
      program, the writers' heartbeat ages, disk, temperature, alerts firing, recent errors and the
      reboot guard. Reads the status dir, the state dir and the config directly (works over SSH with
      the agent stopped); when the agent answers on its HTTP port it adds what only it knows (watch
      phases, alerts firing now, recent errors). Colour on a terminal, plain when piped.
set   deep-merges the values into source S's own fragment (default source: "cli").
      A value is parsed as JSON when it parses (42, true, {"a":1}, "quoted"), else kept as a string.
get   prints the merged device document, or one value of it.

Options:
  -s, --source S    the writing program's name ([a-z0-9][a-z0-9_-]{0,63})
  -d, --dir DIR     status directory (default: $EDGEWATCH_DIR, else the config's status_dir)
  -c, --config FILE config file (default: $EDGEWATCH_CONFIG, else ${DEFAULT_CONFIG_PATH} when it exists)
      --json        print JSON (the summary as one object; values as JSON)
  -h, --help        this help

Examples:
  edgewatch status
  ssh pi@camera edgewatch status
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
    if (verb === undefined) {
      const config = resolveConfig(values);
      const dir = resolveDir(values);
      requireDir(dir);
      const summary = await gatherSummary(config, dir);
      process.stdout.write(
        values.json ? `${JSON.stringify(summary, null, 2)}\n` : renderSummary(summary, useColor(process.stdout)),
      );
      return EXIT_OK;
    }
    if (verb === "set") {
      if (rest.length === 0) throw new UsageError("status set: expected at least one key.path=value");
      const patch: JsonObject = {};
      for (const a of rest) {
        const { key, value } = parseAssignment(a);
        setPath(patch, key, value);
      }
      const dir = resolveDir(values);
      const source = values.source ?? "cli";
      try {
        await updateStatus(source, patch, { dir });
      } catch (err) {
        // the protocol's own error names the failed call; EACCES/EPERM may also arrive raw
        const code = /\b(EACCES|EPERM)\b/.exec(`${(err as NodeJS.ErrnoException).code} ${(err as Error).message}`)?.[1];
        if (code) {
          throw new EdgewatchError(
            "EW_STATUS_DIR_ACCESS",
            `no permission to write into ${dir}/status.d (${code}): run as a member of the agent's group (the unit's Group=), or point --dir or EDGEWATCH_DIR at a status directory you can write`,
          );
        }
        throw err;
      }
      process.stdout.write(`${source}: set ${rest.map((a) => parseAssignment(a).key).join(", ")} in ${dir}\n`);
      return EXIT_OK;
    }
    if (verb === "get") {
      if (rest.length > 1) throw new UsageError(`status get: expected at most one key path, got ${rest.length}`);
      const config = values.dir || process.env.EDGEWATCH_DIR ? undefined : resolveConfig(values);
      const dir = resolveDir(values);
      requireDir(dir);
      const doc = await readDeviceStatus({ dir, legacyStatusFile: config?.legacy_status_file });
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
    throw new UsageError(`expected nothing, "set" or "get", got ${JSON.stringify(verb)}`);
  },
});
