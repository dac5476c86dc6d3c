import type { Config } from "../config.ts";
import type { Band, GaugeThresholds } from "./types.ts";

type RuleLevels = { warning?: number; critical?: number } | undefined;

/**
 * The thresholds the resource rules judge by (`alerts.rules.cpu|memory|disk|temperature`), for the
 * clients that colour gauges. A rule's schema fills in its defaults; the disk rule has none and
 * takes them from `alerts.preset`, as src/agent/rules/resources.ts does.
 */
export function gaugeThresholds(config: Config): GaugeThresholds {
  const rules = config.alerts.rules as Record<string, RuleLevels>;
  const band = (name: string, fallback: Band): Band => ({
    warning: rules[name]?.warning ?? fallback.warning,
    critical: rules[name]?.critical ?? fallback.critical,
  });
  return {
    cpu: band("cpu", { warning: 85, critical: 95 }),
    memory: band("memory", { warning: 90, critical: 95 }),
    disk: band(
      "disk",
      config.alerts.preset === "seed000" ? { warning: 80, critical: 90 } : { warning: 90, critical: 95 },
    ),
    temperature: band("temperature", { warning: 70, critical: 80 }),
  };
}
