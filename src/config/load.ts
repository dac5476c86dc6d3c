import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { describeValue, EdgewatchError } from "../protocol/errors.ts";
import { isPlainObject } from "../protocol/json.ts";
import { type Config, configSchema } from "./schema.ts";

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

function formatIssue(issue: z.core.$ZodIssue): string {
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

/** Replace ${VAR} and ${VAR:-default} in every string; `$${` writes a literal `${`. */
function substituteEnv(value: unknown, path: (string | number)[], env: NodeJS.ProcessEnv, problems: string[]): unknown {
  if (typeof value === "string") {
    return value.replace(
      /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
      (whole, esc: string, name: string, def?: string) => {
        if (esc) return whole.slice(1);
        const v = env[name];
        if (v !== undefined && v !== "") return v;
        if (def !== undefined) return def;
        problems.push(`${formatPath(path)}: environment variable ${name} is not set (referenced as \${${name}})`);
        return "";
      },
    );
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, [...path, i], env, problems));
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, [...path, k], env, problems)]),
    );
  }
  return value;
}

/** Validate an already-parsed config object. `label` prefixes every problem (the file name). */
export function validateConfig(raw: unknown, label: string, env: NodeJS.ProcessEnv = process.env): Config {
  const config = validateWith(configSchema, raw, label, env);
  if (env.EDGEWATCH_DIR) config.status_dir = env.EDGEWATCH_DIR;
  return config;
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
  const substituted = substituteEnv(raw, [], env, problems);
  const envPaths = new Set(problems.map((p) => p.slice(0, p.indexOf(": "))));
  for (let i = 0; i < problems.length; i++) problems[i] = `${label}: ${problems[i]}`;
  const result = schema.safeParse(substituted, { reportInput: true });
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const k of issue.keys) problems.push(`${label}: ${formatPath([...issue.path, k])}: ${formatIssue(issue)}`);
        continue;
      }
      const path = formatPath(issue.path);
      if (envPaths.has(path)) continue; // already reported as the unset variable it came from
      problems.push(`${label}: ${path}: ${formatIssue(issue)}`);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

/** Parse YAML text; syntax errors are reported with line and column. */
export function parseConfigText(text: string, label: string, env: NodeJS.ProcessEnv = process.env): Config {
  return validateConfig(parseYaml(text, label), label, env);
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
 * Load the config from `path`, else $EDGEWATCH_CONFIG, else the built-in defaults.
 * Throws ConfigError listing every problem at once.
 */
export function loadConfig(
  path?: string,
  env: NodeJS.ProcessEnv = process.env,
): { config: Config; path: string | null } {
  const file = path ?? env.EDGEWATCH_CONFIG;
  if (!file) return { config: validateConfig({}, "(defaults)", env), path: null };
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([`${file}: cannot read the config file: ${(err as Error).message}`]);
  }
  return { config: parseConfigText(text, file, env), path: file };
}
