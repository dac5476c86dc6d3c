import { collectorsModule } from "./collectors/module.ts";
import { coreModule } from "./core/module.ts";
import { dashboardModule } from "./dashboard/module.ts";
import { exportsModule } from "./exports/module.ts";
import { filesModule } from "./files/module.ts";
import { healthModule } from "./health/module.ts";
import { historyModule } from "./history/module.ts";
import { hubModule } from "./hub/module.ts";
import { jobsModule } from "./jobs/module.ts";
import { eventsMetricsModule } from "./metrics/events.ts";
import { metricsModule } from "./metrics/module.ts";
import type { ModuleFactory } from "./module.ts";
import { alertsModule } from "./notify/module.ts";
import { recoveryModule } from "./recovery/module.ts";
import { rulesModule } from "./rules/module.ts";
import { statusModule } from "./status/module.ts";

/**
 * Every agent module, in start order. A new capability (collectors, rules, notify, recovery,
 * jobs, dashboard, exports) is one factory here. Each factory reads its own config section and
 * returns null when that section leaves it disabled.
 */
export type { ModuleFactory };

/**
 * The agent's own modules, started first and always (whatever feature modules a caller picks): the
 * process (core), liveness (health), the device's status, /metrics, the sample history, files and logs.
 */
export const coreModuleFactories: ModuleFactory[] = [
  coreModule,
  healthModule,
  statusModule,
  metricsModule,
  historyModule,
  filesModule,
];

export const moduleFactories: ModuleFactory[] = [
  collectorsModule,
  dashboardModule,
  recoveryModule,
  alertsModule,
  rulesModule,
  exportsModule,
  jobsModule,
  eventsMetricsModule,
  hubModule,
];
