import { bullmqCollector } from "./bullmq.ts";
import { cameraCollector } from "./camera.ts";
import { redisCollector } from "./redis.ts";
import { rpiPowerCollector } from "./rpi_power.ts";
import { rqCollector } from "./rq.ts";
import { scheduleCollector } from "./schedule.ts";
import { systemCollector } from "./system.ts";
import { thermalCollector } from "./thermal.ts";
import type { CollectorFactory } from "./types.ts";

// What the rest of the agent and the CLI reuse of single collectors.
export { isCameraFailure } from "./camera.ts";
export type * from "./data.ts";
export { diskUsage } from "./system.ts";
export type { CollectContext, Collector, CollectorFactory } from "./types.ts";
export { lastData } from "./types.ts";
export { thermalCollector };

/**
 * THE collector registry. A new collector is one file in this folder plus one line here; its config
 * section (`collectors.<key>`, when it has one) comes with it (./config.ts composes them).
 * Each factory reads its own config and returns null when disabled (no timer is ever created for it).
 */
export const collectorFactories = [
  systemCollector,
  thermalCollector,
  rpiPowerCollector,
  cameraCollector,
  scheduleCollector,
  redisCollector,
  rqCollector,
  bullmqCollector,
] as const satisfies readonly CollectorFactory[];
