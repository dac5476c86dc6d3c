import { z } from "zod";
import { duration } from "../../config/kit.ts";
import { getPath, isPlainObject } from "../../protocol/json.ts";
import { type CollectorDataMap, type CollectorName, lastData } from "../collectors/types.ts";
import type { DeviceState } from "../state.ts";
import type { Severity } from "./types.ts";

export const severity = () => z.enum(["info", "warning", "critical"]);

/** The keys every single-condition rule has (enabled, severity, for, clear_for), with its defaults. */
export const ruleBase = (d: { severity: Severity; for: string; clear_for: string }) => ({
  enabled: z.boolean().default(true).describe("Evaluate this rule"),
  severity: severity().default(d.severity).describe("Severity of the alert"),
  for: duration().prefault(d.for).describe("The condition must hold this long before the alert fires"),
  clear_for: duration()
    .prefault(d.clear_for)
    .describe("A firing alert resolves only after the condition stayed clear this long"),
});

/** Common keys of a two-level threshold rule (warning/critical raise points, clear margin, for). */
export function thresholdConfig(d: {
  warning?: number;
  critical?: number;
  clear_margin: number;
  for: string;
  clear_for: string;
  unit: string;
  /** Said where a raise value has no fixed default (e.g. a preset decides it). */
  defaultNote?: string;
}) {
  const u = d.unit ? ` (${d.unit})` : "";
  const note = d.defaultNote ? `; default ${d.defaultNote}` : "";
  return z
    .strictObject({
      enabled: z.boolean().default(true).describe("Evaluate this rule"),
      warning: (d.warning === undefined ? z.number().optional() : z.number().default(d.warning)).describe(
        `Raise a warning at or above this value${u}${d.warning === undefined ? note : ""}`,
      ),
      critical: (d.critical === undefined ? z.number().optional() : z.number().default(d.critical)).describe(
        `Raise critical at or above this value${u}${d.critical === undefined ? note : ""}`,
      ),
      clear_margin: z
        .number()
        .nonnegative()
        .default(d.clear_margin)
        .describe(`Hysteresis: a level clears only below its raise value minus this margin${u}`),
      for: duration().prefault(d.for).describe("The value must stay raised this long before the alert fires"),
      clear_for: duration()
        .prefault(d.clear_for)
        .describe("A firing alert resolves only after the value stayed clear this long"),
    })
    .refine((c) => c.warning === undefined || c.critical === undefined || c.critical >= c.warning, {
      error: "expected critical >= warning",
    })
    .prefault({});
}

/**
 * Two-level threshold with hysteresis: a level is raised at its threshold and kept until the value
 * falls below threshold − margin, so a value hovering at a threshold does not flap.
 */
export function thresholdSeverity(
  value: number,
  prev: Severity | null | undefined,
  t: { warning: number; critical: number; clear_margin: number },
): Severity | null {
  if (value >= t.critical) return "critical";
  if (prev === "critical" && value > t.critical - t.clear_margin) return "critical";
  if (value >= t.warning) return "warning";
  if ((prev === "warning" || prev === "critical") && value > t.warning - t.clear_margin) return "warning";
  return null;
}

/** First finite number found at any of the dotted paths. */
export function pickNumber(obj: unknown, paths: string[]): number | null {
  if (!isPlainObject(obj)) return null;
  for (const p of paths) {
    const v = getPath(obj, p);
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  return null;
}

export function pickBoolean(obj: unknown, paths: string[]): boolean | null {
  if (!isPlainObject(obj)) return null;
  for (const p of paths) {
    const v = getPath(obj, p);
    if (typeof v === "boolean") return v;
  }
  return null;
}

/** The data of a collector's last successful run, typed by the collector's name, or null. */
export function collectorData<K extends CollectorName>(state: DeviceState, name: K): CollectorDataMap[K] | null {
  return lastData(state, name);
}

export function fmt(n: number, digits = 1): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(digits);
}

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** A byte count: a number, or text like "5GB" (decimal units, as `df -H`) or "512MiB". */
export const byteSize = () =>
  z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
    if (typeof v === "number") return v;
    const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(v);
    const unit = UNITS[(m?.[2] ?? "").toLowerCase()];
    if (!m || unit === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `expected a size like "5GB", "500MB" or "2GiB", got ${JSON.stringify(v)}`,
      });
      return z.NEVER;
    }
    return Math.round(Number(m[1]) * unit);
  });

/** "5.0 GB" style, for summaries. */
export function fmtBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(0)} MB`;
  return `${Math.round(n / 1e3)} kB`;
}
