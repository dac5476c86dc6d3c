import type { DeviceState } from "../state.ts";
import { collectorData, fmt, pickNumber, thresholdConfig, thresholdSeverity } from "./kit.ts";
import { type Condition, defineRule, type Rule, type RuleDefinition, type RuleHost } from "./types.ts";

interface Reading {
  key: string;
  value: number;
  label: string;
}

type Levels = { warning: number; critical: number };
/** Each resource rule's default levels (its schema's, or its fallback's), by rule name. */
const fallbacks = new Map<string, (config: RuleHost) => Levels>();

/**
 * The levels the resource rules judge by, as configured (`alerts.rules.<name>.warning|critical`, else
 * the rule's default): for the pages that colour gauges by them.
 */
export function resourceLevels(
  config: RuleHost,
  rules: Readonly<Record<string, { warning?: number | undefined; critical?: number | undefined } | undefined>>,
  name: "cpu" | "memory" | "disk" | "temperature",
): Levels {
  const fb = fallbacks.get(name)?.(config) ?? { warning: Number.NaN, critical: Number.NaN };
  return { warning: rules[name]?.warning ?? fb.warning, critical: rules[name]?.critical ?? fb.critical };
}

/** A device-wide (or per-mount) percentage/°C threshold rule fed by a collector. */
function resourceRule(spec: {
  name: string;
  description: string;
  what: string;
  unit: string;
  defaults: {
    warning?: number;
    critical?: number;
    clear_margin: number;
    for: string;
    clear_for: string;
    defaultNote?: string;
  };
  fallback: (config: RuleHost) => { warning: number; critical: number };
  read: (state: DeviceState) => Reading[];
}): RuleDefinition {
  fallbacks.set(spec.name, spec.fallback);
  return defineRule({
    name: spec.name,
    description: spec.description,
    config: () => thresholdConfig({ ...spec.defaults, unit: spec.unit }),
    create(cfg, config): Rule | null {
      if (!cfg.enabled) return null;
      const fb = spec.fallback(config);
      const t = {
        warning: cfg.warning ?? fb.warning,
        critical: cfg.critical ?? fb.critical,
        clear_margin: cfg.clear_margin,
      };
      return {
        name: spec.name,
        forMs: cfg.for,
        clearForMs: cfg.clear_for,
        evaluate(input, prev) {
          const conditions: Condition[] = spec.read(input.state).map((r) => {
            const sev = thresholdSeverity(r.value, prev.get(r.key), t);
            const limit = sev === "critical" ? t.critical : t.warning;
            return {
              key: r.key,
              severity: sev,
              value: r.value,
              summary: sev
                ? `${r.label} at ${fmt(r.value)}${spec.unit} (${sev} at ${fmt(limit)}${spec.unit})`
                : `${r.label} back to ${fmt(r.value)}${spec.unit}`,
              fields: { value: r.value, warning: t.warning, critical: t.critical, unit: spec.unit },
            };
          });
          return { conditions };
        },
      };
    },
  });
}

/** A 0–1 ratio (as the collectors report) as a 0–100 value, two decimals. */
const percent = (ratio: number | null | undefined): number | null =>
  typeof ratio === "number" && Number.isFinite(ratio) ? Math.round(ratio * 10_000) / 100 : null;

const one = (key: string, label: string, value: number | null): Reading[] =>
  value === null ? [] : [{ key, label, value }];

export const cpuRule = resourceRule({
  name: "cpu",
  description: "CPU usage (system collector)",
  what: "CPU",
  unit: "%",
  defaults: { warning: 85, critical: 95, clear_margin: 5, for: "2m", clear_for: "1m" },
  fallback: () => ({ warning: 85, critical: 95 }),
  read: (s) => one("", "CPU", percent(collectorData(s, "system")?.cpu_usage_ratio)),
});

export const memoryRule = resourceRule({
  name: "memory",
  description: "Memory usage (system collector)",
  what: "memory",
  unit: "%",
  defaults: { warning: 90, critical: 95, clear_margin: 3, for: "2m", clear_for: "1m" },
  fallback: () => ({ warning: 90, critical: 95 }),
  read: (s) => one("", "Memory", percent(collectorData(s, "system")?.memory_usage_ratio)),
});

export const diskRule = resourceRule({
  name: "disk",
  description: "Disk usage per mount (system collector); preset seed000 uses 80/90",
  what: "disk",
  unit: "%",
  defaults: {
    clear_margin: 2,
    for: "1m",
    clear_for: "1m",
    defaultNote: "warning 90 / critical 95, or 80 / 90 with preset seed000",
  },
  fallback: (config) =>
    config.alerts.preset === "seed000" ? { warning: 80, critical: 90 } : { warning: 90, critical: 95 },
  read: (s) => {
    const out: Reading[] = [];
    for (const d of collectorData(s, "system")?.disks ?? []) {
      const v = percent(d.usage_ratio);
      if (v !== null) out.push({ key: d.mount, label: `Disk ${d.mount}`, value: v });
    }
    // no collector data: what a program put in the status document
    return out.length ? out : one("", "Disk", pickNumber(s.document, ["disk_percent"]));
  },
});

export const temperatureRule = resourceRule({
  name: "temperature",
  description: "CPU/SoC temperature (thermal collector)",
  what: "temperature",
  unit: "°C",
  defaults: { warning: 70, critical: 80, clear_margin: 3, for: "1m", clear_for: "1m" },
  fallback: () => ({ warning: 70, critical: 80 }),
  read: (s) =>
    one(
      "",
      "Temperature",
      collectorData(s, "thermal")?.cpu_temperature_celsius ?? pickNumber(s.document, ["cpu_temperature_celsius"]),
    ),
});

export const cameraFailuresRule = resourceRule({
  name: "camera_failures",
  description: "Consecutive camera capture failures (camera collector)",
  what: "camera failures",
  unit: "",
  defaults: { warning: 5, critical: 10, clear_margin: 0, for: "0s", clear_for: "0s" },
  fallback: () => ({ warning: 5, critical: 10 }),
  read: (s) =>
    one(
      "",
      "Camera consecutive failures",
      collectorData(s, "camera")?.consecutive_failures ??
        pickNumber(s.document, ["camera.consecutive_failures", "consecutive_failures"]),
    ),
});
