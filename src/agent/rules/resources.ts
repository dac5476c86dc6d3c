import type { DeviceState } from "../state.ts";
import { collectorData, fmt, pickNumber, thresholdConfig, thresholdSeverity } from "./kit.ts";
import { type Condition, defineRule, type Rule, type RuleDefinition, type RuleHost } from "./types.ts";

interface Reading {
  key: string;
  value: number;
  label: string;
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
  return defineRule({
    name: spec.name,
    description: spec.description,
    config: thresholdConfig({ ...spec.defaults, unit: spec.unit }),
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

/** A 0–100 value from ratio keys (0–1, as the collectors report) or percent keys. */
function percentOf(obj: unknown, ratioKeys: string[], percentKeys: string[]): number | null {
  const r = pickNumber(obj, ratioKeys);
  if (r !== null) return Math.round(r * 10_000) / 100;
  return pickNumber(obj, percentKeys);
}

const one = (key: string, label: string, value: number | null): Reading[] =>
  value === null ? [] : [{ key, label, value }];

export const cpuRule = resourceRule({
  name: "cpu",
  description: "CPU usage (system collector)",
  what: "CPU",
  unit: "%",
  defaults: { warning: 85, critical: 95, clear_margin: 5, for: "2m", clear_for: "1m" },
  fallback: () => ({ warning: 85, critical: 95 }),
  read: (s) => one("", "CPU", percentOf(collectorData(s, "system"), ["cpu_usage_ratio"], ["cpu_percent"])),
});

export const memoryRule = resourceRule({
  name: "memory",
  description: "Memory usage (system collector)",
  what: "memory",
  unit: "%",
  defaults: { warning: 90, critical: 95, clear_margin: 3, for: "2m", clear_for: "1m" },
  fallback: () => ({ warning: 90, critical: 95 }),
  read: (s) => one("", "Memory", percentOf(collectorData(s, "system"), ["memory_usage_ratio"], ["memory_percent"])),
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
    const data = collectorData(s, "system");
    const disks = data?.disks;
    if (Array.isArray(disks)) {
      const out: Reading[] = [];
      for (const d of disks) {
        const v = percentOf(d, ["usage_ratio"], ["percent", "used_percent"]);
        const mount = (d as { mount?: unknown; path?: unknown }).mount ?? (d as { path?: unknown }).path;
        if (v !== null && typeof mount === "string") out.push({ key: mount, label: `Disk ${mount}`, value: v });
      }
      if (out.length) return out;
    }
    const v = pickNumber(data, ["disk_percent"]) ?? pickNumber(s.document, ["disk_percent"]);
    return one("", "Disk", v);
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
      pickNumber(collectorData(s, "thermal"), ["cpu_temperature_celsius", "temperature_celsius"]) ??
        pickNumber(s.document, ["cpu_temperature_celsius"]),
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
      pickNumber(collectorData(s, "camera"), ["consecutive_failures", "failures.consecutive"]) ??
        pickNumber(s.document, ["camera.consecutive_failures", "consecutive_failures"]),
    ),
});
