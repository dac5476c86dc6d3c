import { captureStalledRule, collectorFailingRule, heartbeatStaleRule, throttlingRule } from "./device.ts";
import { eventsRule } from "./events.ts";
import { jobRules } from "./jobs.ts";
import { cameraFailuresRule, cpuRule, diskRule, memoryRule, temperatureRule } from "./resources.ts";
import type { RuleDefinition } from "./types.ts";

/**
 * Every rule type. A new rule is one file exporting a RuleDefinition (see ./types.ts) and one entry
 * here; its config appears as `alerts.rules.<name>` automatically.
 */
export const ruleDefinitions: RuleDefinition[] = [
  cpuRule,
  memoryRule,
  diskRule,
  temperatureRule,
  cameraFailuresRule,
  captureStalledRule,
  heartbeatStaleRule,
  throttlingRule,
  eventsRule,
  collectorFailingRule,
  ...jobRules,
];
