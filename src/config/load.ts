import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { describeValue, EdgewatchError } from "../protocol/errors.ts";
import { isPlainObject } from "../protocol/json.ts";
import { collectSecrets, secrets } from "./secrets.ts";
import { nearKey } from "./suggest.ts";

/** A config that cannot be used; `problems` lists every one, each naming file, key path, expected and got. */
export class ConfigError extends EdgewatchError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super("EW_CONFIG_INVALID", `invalid configuration:\n  ${problems.join("\n  ")}`);
    this.problems = problems;
  }
}

/** `notify.channels[1].url` from a zod path. */
const TYPE_NAMES: Record<string, string> = {
  object: "a mapping (key: value)",
  array: "a list",
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
};

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || "(top level)";
}

function formatIssue(zodIssue: z.core.$ZodIssue): string {
  const issue = zodIssue;
  const got = "input" in issue ? describeValue(issue.input) : "nothing";
  switch (issue.code) {
    case "invalid_type":
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${issue.input === undefined ? "nothing (the key is required)" : got}`;
    case "unrecognized_keys":
      return "unknown key (a typo?)";
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join("|")}, got ${got}`;
    case "invalid_union":
      {
        const u = issue as { discriminator?: unknown; options?: unknown };
        if (typeof u.discriminator === "string" && Array.isArray(u.options)) {
          const input = isPlainObject(issue.input) ? issue.input[u.discriminator] : issue.input;
          return `expected one of ${u.options.map((o: unknown) => JSON.stringify(o)).join("|")}, got ${describeValue(input)}`;
        }
      }
      return `${issue.message}, got ${got}`;
    case "too_small":
    case "too_big": {
      const op =
        issue.code === "too_small" ? (issue.inclusive === false ? ">" : ">=") : issue.inclusive === false ? "<" : "<=";
      const unit = issue.origin === "string" ? " characters" : issue.origin === "array" ? " items" : "";
      if (issue.message && !issue.message.startsWith("Too ")) return `${issue.message}, got ${got}`;
      return `expected ${op} ${String(issue.code === "too_small" ? issue.minimum : issue.maximum)}${unit}, got ${got}`;
    }
    case "invalid_format":
      return `${issue.message.startsWith("expected") ? issue.message : `expected a valid ${issue.format}`}, got ${got}`;
    default:
      return issue.message.includes(", got ") || issue.input === undefined
        ? issue.message
        : `${issue.message}, got ${got}`;
  }
}

/** Variables that name places and identities, never secrets: their values are not redacted. */
const PUBLIC_ENV = /^(HOME|USER|LOGNAME|HOSTNAME|PWD|TMPDIR|XDG_[A-Z_]+|EDGEWATCH_DIR|EDGEWATCH_CONFIG)$/;

/**
 * Replace ${VAR} and ${VAR:-default} in every string; `$${` writes a literal `${`. Each value taken
 * from the environment is noted in `fromEnv` under its config path: it is treated as a secret (but not
 * a path, nor $HOME, $USER, $HOSTNAME and the like).
 */
function substituteEnv(
  value: unknown,
  path: (string | number)[],
  env: NodeJS.ProcessEnv,
  problems: string[],
  fromEnv: Map<string, string[]>,
): unknown {
  if (typeof value === "string") {
    return value.replace(
      /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
      (whole, esc: string, name: string, def?: string) => {
        if (esc) return whole.slice(1);
        const v = env[name];
        if (v !== undefined && v !== "") {
          if (!PUBLIC_ENV.test(name) && !v.startsWith("/")) {
            const key = formatPath(path);
            fromEnv.set(key, [...(fromEnv.get(key) ?? []), v]);
          }
          return v;
        }
        if (def !== undefined) return def;
        problems.push(`${formatPath(path)}: environment variable ${name} is not set (referenced as \${${name}})`);
        return "";
      },
    );
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, [...path, i], env, problems, fromEnv));
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, [...path, k], env, problems, fromEnv)]),
    );
  }
  return value;
}

/** Where a loaded config came from, and what it held before anything replaced parts of it. */
interface ConfigOrigin {
  path: string | null;
  /** JSON of each top-level section as validated (before EDGEWATCH_DIR or a caller replaced any). */
  sections: Map<string, string>;
}

const origins = new WeakMap<object, ConfigOrigin>();
const lastLoaded = new Map<string, ConfigOrigin>();

/**
 * The config file `config` was loaded from, and the keys that differ from that file's values (set
 * by EDGEWATCH_DIR, or by a command that runs on a copy with some keys replaced, like `demo`).
 * `path` is null for built-in defaults or a config validated from an object.
 */
export function configOrigin(config: object, claimedPath?: string): { path: string | null; overrides: string[] } {
  const origin = origins.get(config) ?? (claimedPath ? lastLoaded.get(claimedPath) : undefined);
  if (!origin) return { path: null, overrides: [] };
  const overrides: string[] = [];
  const cfg = config as unknown as Record<string, unknown>;
  for (const [key, json] of origin.sections) {
    const now = cfg[key];
    if (JSON.stringify(now) === json) continue;
    // one level deeper, so `files.photos` is named rather than all of `files`
    const before = JSON.parse(json) as unknown;
    if (isPlainObject(before) && isPlainObject(now)) {
      for (const k of new Set([...Object.keys(before), ...Object.keys(now)]))
        if (JSON.stringify(before[k]) !== JSON.stringify(now[k])) overrides.push(`${key}.${k}`);
    } else overrides.push(key);
  }
  return { path: origin.path, overrides };
}

/** Validate against any config schema (the agent's, the hub's): ${ENV} substitution, every problem at once. */
export function validateWith<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  label: string,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const problems: string[] = [];
  if (raw === null || raw === undefined) raw = {};
  if (!isPlainObject(raw))
    throw new ConfigError([`${label}: (top level): expected a mapping of keys, got ${describeValue(raw)}`]);
  const fromEnv = new Map<string, string[]>();
  const substituted = substituteEnv(raw, [], env, problems, fromEnv);
  const found = collectSecrets(substituted, fromEnv);
  const envPaths = new Set(problems.map((p) => p.slice(0, p.indexOf(": "))));
  for (let i = 0; i < problems.length; i++) problems[i] = `${label}: ${problems[i]}`;
  // jitless: zod would otherwise generate and compile a parser (new Function) for each object schema it
  // meets: one-off work at startup whose code a long-running process then keeps (bench/footprint).
  const result = schema.safeParse(substituted, { reportInput: true, jitless: true });
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const k of issue.keys) {
          const near = nearKey(schema, issue.path, k);
          problems.push(
            `${label}: ${formatPath([...issue.path, k])}: ${near ? `unknown key; did you mean "${near}"?` : formatIssue(issue)}`,
          );
        }
        continue;
      }
      const path = formatPath(issue.path);
      if (envPaths.has(path)) continue; // already reported as the unset variable it came from
      problems.push(`${label}: ${path}: ${formatIssue(issue)}`);
    }
  }
  // problems quote the values they got: a secret in a bad value must not reach the terminal or a log
  secrets.add(found);
  if (problems.length > 0 || !result.success) throw new ConfigError(problems.map((p) => secrets.scrub(p)));
  const config = result.data;
  if (isPlainObject(config)) {
    const sections = new Map<string, string>();
    for (const [k, v] of Object.entries(config)) sections.set(k, JSON.stringify(v));
    origins.set(config, { path: null, sections });
  }
  return config;
}

/** YAML text → plain value; syntax errors are a ConfigError with line and column. */
export function parseYaml(text: string, label: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return `${label}${pos ? `:${pos.line}:${pos.col}` : ""}: YAML syntax: ${(e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "")}`;
      }),
    );
  }
  return doc.toJS();
}

/**
 * Read the config file `file` and validate it with `validate` (a program's own schema); the result
 * remembers the file it came from (see configOrigin). Throws ConfigError listing every problem at once.
 */
export function loadFile<T extends object>(file: string, validate: (raw: unknown, label: string) => T): T {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([`${file}: cannot read the config file: ${(err as Error).message}`]);
  }
  const config = validate(parseYaml(text, file), file);
  const origin = origins.get(config);
  if (origin) {
    origin.path = file;
    lastLoaded.set(file, origin);
  }
  return config;
}
