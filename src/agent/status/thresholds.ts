import type { Config } from "../config.ts";
import { resourceLevels } from "../rules/index.ts";
import type { GaugeThresholds } from "./types.ts";

/**
 * The thresholds the resource rules judge by (`alerts.rules.cpu|memory|disk|temperature`, or each
 * rule's default, the disk rule's from `alerts.preset`), for the clients that colour gauges.
 */
export function gaugeThresholds(config: Config): GaugeThresholds {
  const rules = config.alerts.rules as Record<string, { warning?: number; critical?: number } | undefined>;
  return {
    cpu: resourceLevels(config, rules, "cpu"),
    memory: resourceLevels(config, rules, "memory"),
    disk: resourceLevels(config, rules, "disk"),
    temperature: resourceLevels(config, rules, "temperature"),
  };
}
