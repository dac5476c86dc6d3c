import { z } from "zod";
import { duration } from "../../config/kit.ts";
import { getPath, isPlainObject, type JsonObject } from "../../protocol/json.ts";
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

/** The data of a collector's last successful run, or null. */
export function collectorData(state: DeviceState, name: string): JsonObject | null {
  const r = state.collectors.get(name);
  return r?.ok ? r.data : null;
}

export function fmt(n: number, digits = 1): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(digits);
}
