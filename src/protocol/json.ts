export type JsonObject = { [key: string]: unknown };

export function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deepest nesting a fragment or event may have (objects and lists count one level each). */
export const MAX_JSON_DEPTH = 32;
/** Most entries one object or list in a fragment or event may hold. */
export const MAX_JSON_ENTRIES = 10_000;
/** Keys that would reach an object's prototype in JavaScript consumers; refused anywhere in a value. */
export const RESERVED_JSON_KEYS: readonly string[] = ["__proto__", "constructor", "prototype"];
const RESERVED = new Set(RESERVED_JSON_KEYS);

export interface JsonLimits {
  depth: number;
  entries: number;
}

const DEFAULT_LIMITS: JsonLimits = { depth: MAX_JSON_DEPTH, entries: MAX_JSON_ENTRIES };

function where(path: readonly string[]): string {
  if (path.length === 0) return "the top level";
  const p = path.length > 6 ? [...path.slice(0, 3), "…", ...path.slice(-2)] : path;
  return `"${p.join(".").slice(0, 120)}"`;
}

/**
 * Why a parsed JSON value's shape is not acceptable — nested too deep, an object or list with too
 * many entries, a reserved key — or null. Iterative, so a value of any depth is checked without
 * recursion; it stops at the first problem.
 */
export function jsonShapeProblem(value: unknown, limits: JsonLimits = DEFAULT_LIMITS): string | null {
  if (typeof value !== "object" || value === null) return null;
  const stack: { v: object; path: string[] }[] = [{ v: value, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop() as { v: object; path: string[] };
    if (path.length >= limits.depth) {
      return `expected at most ${limits.depth} levels of nesting, got more at ${where(path)}`;
    }
    const keys = Array.isArray(v) ? null : Object.keys(v);
    const n = keys ? keys.length : (v as unknown[]).length;
    if (n > limits.entries) {
      return `expected at most ${limits.entries} entries in one object or list, got ${n} at ${where(path)}`;
    }
    if (keys) {
      for (const k of keys) {
        if (RESERVED.has(k)) {
          return `key "${k}" at ${where(path)} is reserved (${RESERVED_JSON_KEYS.join(", ")} are refused)`;
        }
        const c = (v as JsonObject)[k];
        if (typeof c === "object" && c !== null) stack.push({ v: c, path: [...path, k] });
      }
    } else {
      (v as unknown[]).forEach((c, i) => {
        if (typeof c === "object" && c !== null) stack.push({ v: c, path: [...path, String(i)] });
      });
    }
  }
  return null;
}

/**
 * jsonShapeProblem on JSON text, before it is parsed: a value nested thousands deep is refused
 * without building it (JSON.parse would allocate every level). Checks depth and entries per
 * object or list; reserved keys are left to jsonShapeProblem on the parsed value.
 */
export function jsonTextShapeProblem(text: string, limits: JsonLimits = DEFAULT_LIMITS): string | null {
  const commas = new Int32Array(limits.depth + 2);
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 92)
        escaped = true; // backslash
      else if (c === 34) inString = false; // quote
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      // { or [
      if (++depth > limits.depth) {
        return `expected at most ${limits.depth} levels of nesting, got more (at byte ${i})`;
      }
      commas[depth] = 0;
    } else if (c === 125 || c === 93) depth = Math.max(0, depth - 1);
    else if (c === 44 && depth > 0) {
      const n = (commas[depth] as number) + 1;
      commas[depth] = n;
      if (n + 1 > limits.entries) {
        return `expected at most ${limits.entries} entries in one object or list, got more (at byte ${i})`;
      }
    }
  }
  return null;
}

/** Past this depth deepMerge stops merging and the patch's value replaces (bounds its recursion). */
const MERGE_DEPTH = MAX_JSON_DEPTH * 2;

/**
 * Deep merge: objects merge recursively, anything else in `patch` replaces. Returns a new object.
 * Reserved keys are skipped; nesting past twice the protocol's depth limit is replaced, not merged.
 */
export function deepMerge(base: JsonObject, patch: JsonObject, depth = 0): JsonObject {
  const out: JsonObject = { ...base };
  for (const k of Object.keys(patch)) {
    if (RESERVED.has(k)) continue;
    const v = patch[k];
    const prev = out[k];
    out[k] = depth < MERGE_DEPTH && isPlainObject(v) && isPlainObject(prev) ? deepMerge(prev, v, depth + 1) : v;
  }
  return out;
}

const TOO_DEEP = "[nested too deep]";

/** A copy of `value` with anything nested deeper than `depth` replaced by a marker string. Iterative. */
export function capDepth(value: unknown, depth = MAX_JSON_DEPTH): unknown {
  if (typeof value !== "object" || value === null) return value;
  const root: { v: unknown } = { v: undefined };
  const stack: { src: object; set: (c: unknown) => void; d: number }[] = [
    { src: value, set: (c) => (root.v = c), d: 0 },
  ];
  while (stack.length > 0) {
    const { src, set, d } = stack.pop() as (typeof stack)[number];
    if (d >= depth) {
      set(TOO_DEEP);
      continue;
    }
    if (Array.isArray(src)) {
      const out: unknown[] = new Array(src.length);
      set(out);
      src.forEach((c, i) => {
        if (typeof c === "object" && c !== null) stack.push({ src: c, set: (x) => (out[i] = x), d: d + 1 });
        else out[i] = c;
      });
    } else {
      const json = (src as { toJSON?: unknown }).toJSON;
      if (typeof json === "function") {
        set(src); // Date and friends serialise themselves flat
        continue;
      }
      const out: JsonObject = {};
      set(out);
      for (const k of Object.keys(src)) {
        const c = (src as JsonObject)[k];
        if (typeof c === "object" && c !== null) {
          stack.push({
            src: c,
            set: (x) =>
              Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true }),
            d: d + 1,
          });
        } else Object.defineProperty(out, k, { value: c, enumerable: true, writable: true, configurable: true });
      }
    }
  }
  return root.v;
}

/**
 * JSON.stringify that cannot throw on depth: V8's serialiser recurses and overflows the stack on
 * values nested thousands deep, so such a value is written with its deep parts replaced by
 * "[nested too deep]". Use it wherever a value that came from a status file is rendered.
 */
export function toJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return JSON.stringify(capDepth(value));
  }
}

/** `a.b.c` → nested object { a: { b: { c: value } } }. */
export function setPath(target: JsonObject, path: string, value: unknown): void {
  const keys = path.split(".");
  let cur: JsonObject = target;
  for (const key of keys.slice(0, -1)) {
    const next = cur[key];
    if (!isPlainObject(next)) cur[key] = {};
    cur = cur[key] as JsonObject;
  }
  cur[keys[keys.length - 1] as string] = value;
}

export function getPath(target: unknown, path: string): unknown {
  let cur: unknown = target;
  for (const key of path.split(".")) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}
