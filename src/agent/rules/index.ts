import { cameraTestFailingRule } from "./camera-test.ts";
import { captureFailureRateRule } from "./capture-rate.ts";
import { captureStalledRule, collectorFailingRule, heartbeatStaleRule, throttlingRule } from "./device.ts";
import { diskFreeRule } from "./disk-free.ts";
import { eventsRule } from "./events.ts";
import { jobRules } from "./jobs.ts";
import { redisDownRule } from "./redis-down.ts";
import { cameraFailuresRule, cpuRule, diskRule, memoryRule, temperatureRule } from "./resources.ts";
import { transferFailuresRule } from "./transfers.ts";
import type { RuleDefinition } from "./types.ts";
import { uploadSuccessRule } from "./uploads.ts";

/**
 * Every rule type. A new rule is one file exporting a RuleDefinition (see ./types.ts) and one entry
 * here; its config appears as `alerts.rules.<name>` automatically.
 */
export { resourceLevels } from "./resources.ts";

export const ruleDefinitions: RuleDefinition[] = [
  cpuRule,
  memoryRule,
  diskRule,
  diskFreeRule,
  temperatureRule,
  cameraFailuresRule,
  captureFailureRateRule,
  cameraTestFailingRule,
  captureStalledRule,
  heartbeatStaleRule,
  throttlingRule,
  eventsRule,
  collectorFailingRule,
  redisDownRule,
  uploadSuccessRule,
  transferFailuresRule,
  ...jobRules,
];
