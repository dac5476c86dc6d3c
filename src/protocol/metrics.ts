import { describeValue } from "./errors.ts";
import { isPlainObject } from "./json.ts";

/**
 * A program's own metrics: the reserved fragment key `metrics` maps a metric name to a number, or to
 * `{type, help, samples: [{labels, value}]}`. Names and labels follow Prometheus' rules; the
 * `edgewatch_` prefix belongs to the agent, and `device`/`site` are the agent's own labels.
 */
export const METRIC_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const RESERVED_METRIC_PREFIX = "edgewatch_";
export const RESERVED_LABELS = ["device", "site"] as const;
export const METRIC_TYPES = ["gauge", "counter"] as const;
export const MAX_PROGRAM_FAMILIES = 200;
export const MAX_FAMILY_SAMPLES = 500;
export const MAX_LABELS = 16;
export const MAX_HELP_CHARS = 1024;
export const MAX_LABEL_VALUE_CHARS = 1024;

export interface ProgramSample {
  labels: Record<string, string>;
  value: number;
}

export interface ProgramFamily {
  name: string;
  type: (typeof METRIC_TYPES)[number];
  /** Empty when the program gave none; the agent then writes a generic HELP line. */
  help: string;
  samples: ProgramSample[];
}

const FAMILY_KEYS = new Set(["type", "help", "samples"]);
const SAMPLE_KEYS = new Set(["labels", "value"]);

export function checkMetricName(name: string): string | null {
  if (!METRIC_NAME_RE.test(name)) return `name ${describeValue(name)}: expected [a-zA-Z_][a-zA-Z0-9_]*`;
  if (name.startsWith("__")) return `name ${describeValue(name)}: names starting with "__" are reserved`;
  if (name.startsWith(RESERVED_METRIC_PREFIX)) {
    return `name ${describeValue(name)}: the "${RESERVED_METRIC_PREFIX}" prefix is reserved for the agent's own metrics`;
  }
  return null;
}

function checkLabels(labels: unknown): string | null {
  if (!isPlainObject(labels)) return `"labels": expected an object of strings, got ${describeValue(labels)}`;
  const keys = Object.keys(labels);
  if (keys.length > MAX_LABELS) return `"labels": expected at most ${MAX_LABELS} labels, got ${keys.length}`;
  for (const k of keys) {
    if (!LABEL_NAME_RE.test(k) || k.startsWith("__")) {
      return `label name ${describeValue(k)}: expected [a-zA-Z_][a-zA-Z0-9_]* not starting with "__"`;
    }
    if ((RESERVED_LABELS as readonly string[]).includes(k)) {
      return `label ${describeValue(k)}: reserved, the agent adds device and site itself`;
    }
    const v = labels[k];
    if (typeof v !== "string") return `label ${describeValue(k)}: expected a string value, got ${describeValue(v)}`;
    if (v.length > MAX_LABEL_VALUE_CHARS)
      return `label ${describeValue(k)}: value over ${MAX_LABEL_VALUE_CHARS} characters`;
  }
  return null;
}

function checkFamily(name: string, v: unknown): string | null {
  const bad = checkMetricName(name);
  if (bad) return bad;
  const at = (msg: string) => `${name}: ${msg}`;
  if (typeof v === "number") return Number.isFinite(v) ? null : at(`expected a finite number, got ${v}`);
  if (!isPlainObject(v)) return at(`expected a number or {type, help, samples}, got ${describeValue(v)}`);
  for (const k of Object.keys(v))
    if (!FAMILY_KEYS.has(k)) return at(`unknown key ${describeValue(k)} (expected type, help, samples)`);
  const type = v.type ?? "gauge";
  if (!(METRIC_TYPES as readonly unknown[]).includes(type)) {
    return at(`"type": expected "gauge" or "counter", got ${describeValue(v.type)}`);
  }
  if (v.help !== undefined && (typeof v.help !== "string" || v.help.length > MAX_HELP_CHARS)) {
    return at(`"help": expected a string of at most ${MAX_HELP_CHARS} characters, got ${describeValue(v.help)}`);
  }
  if (!Array.isArray(v.samples))
    return at(`"samples": expected a list of {labels, value}, got ${describeValue(v.samples)}`);
  if (v.samples.length > MAX_FAMILY_SAMPLES) {
    return at(`"samples": expected at most ${MAX_FAMILY_SAMPLES}, got ${v.samples.length}`);
  }
  const seen = new Set<string>();
  for (const [i, s] of v.samples.entries()) {
    const where = `samples[${i}]`;
    if (!isPlainObject(s)) return at(`${where}: expected {labels, value}, got ${describeValue(s)}`);
    for (const k of Object.keys(s)) if (!SAMPLE_KEYS.has(k)) return at(`${where}: unknown key ${describeValue(k)}`);
    if (typeof s.value !== "number" || !Number.isFinite(s.value)) {
      return at(`${where}."value": expected a finite number, got ${describeValue(s.value)}`);
    }
    if (type === "counter" && s.value < 0) return at(`${where}: a counter cannot be negative, got ${s.value}`);
    const labels = s.labels ?? {};
    const problem = checkLabels(labels);
    if (problem) return at(`${where}: ${problem}`);
    const key = JSON.stringify(Object.entries(labels as Record<string, string>).sort());
    if (seen.has(key)) return at(`${where}: the same labels appear twice`);
    seen.add(key);
  }
  return null;
}

/** Why a fragment's `metrics` value is not acceptable, or null when it is. Shared by reader and writers. */
export function checkProgramMetrics(value: unknown): string | null {
  if (!isPlainObject(value)) return `expected an object of metric name → number or family, got ${describeValue(value)}`;
  const names = Object.keys(value);
  if (names.length > MAX_PROGRAM_FAMILIES) {
    return `expected at most ${MAX_PROGRAM_FAMILIES} metrics, got ${names.length}`;
  }
  // A counter is exposed as <name>_total: "x" and "x_total" would collide.
  const stems = new Set<string>();
  for (const name of names) {
    const problem = checkFamily(name, value[name]);
    if (problem) return problem;
    const stem = name.endsWith("_total") ? name.slice(0, -6) : name;
    if (stems.has(stem)) return `${name}: collides with another metric of the same name with or without "_total"`;
    stems.add(stem);
  }
  return null;
}

/** A checked `metrics` value as families (call checkProgramMetrics first; unchecked input is skipped). */
export function programFamilies(value: unknown): ProgramFamily[] {
  if (!isPlainObject(value)) return [];
  const out: ProgramFamily[] = [];
  for (const [name, v] of Object.entries(value)) {
    if (typeof v === "number") {
      out.push({ name, type: "gauge", help: "", samples: [{ labels: {}, value: v }] });
    } else if (isPlainObject(v) && Array.isArray(v.samples)) {
      out.push({
        name,
        type: v.type === "counter" ? "counter" : "gauge",
        help: typeof v.help === "string" ? v.help : "",
        samples: v.samples.filter(isPlainObject).map((s) => ({
          labels: isPlainObject(s.labels) ? (s.labels as Record<string, string>) : {},
          value: s.value as number,
        })),
      });
    }
  }
  return out;
}
