/** At most this many keys per flattened sample. */
const MAX_KEYS = 64;

/**
 * Numeric leaves of a collector's data, two levels deep: {cpu:{usage_ratio:0.2}} → "cpu.usage_ratio".
 * Booleans count as 0/1; strings and nulls ("no data") are skipped. At most 64 keys per sample.
 */
export function flattenNumbers(prefix: string, value: unknown, out: Record<string, number>, depth = 0): void {
  if (Object.keys(out).length >= MAX_KEYS) return;
  if (typeof value === "number" && Number.isFinite(value)) {
    out[prefix] = Math.round(value * 1e4) / 1e4;
  } else if (typeof value === "boolean") {
    out[prefix] = value ? 1 : 0;
  } else if (value !== null && typeof value === "object" && !Array.isArray(value) && depth < 2) {
    for (const [k, v] of Object.entries(value)) flattenNumbers(prefix ? `${prefix}.${k}` : k, v, out, depth + 1);
  }
}
