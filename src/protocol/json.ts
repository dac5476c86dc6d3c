export type JsonObject = { [key: string]: unknown };

export function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep merge: objects merge recursively, anything else in `patch` replaces. Returns a new object. */
export function deepMerge(base: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const prev = out[k];
    out[k] = isPlainObject(v) && isPlainObject(prev) ? deepMerge(prev, v) : v;
  }
  return out;
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
