import { collectorsModule } from "./collectors/module.ts";
import { dashboardModule } from "./dashboard/module.ts";
import { exportsModule } from "./exports/module.ts";
import { hubModule } from "./hub/module.ts";
import { jobsModule } from "./jobs/module.ts";
import { eventsMetricsModule } from "./metrics/events.ts";
import type { ModuleFactory } from "./module.ts";
import { alertsModule } from "./notify/module.ts";
import { recoveryModule } from "./recovery/module.ts";
import { rulesModule } from "./rules/module.ts";

/**
 * Every agent module, in start order. A new capability (collectors, rules, notify, recovery,
 * jobs, dashboard, exports) is one factory here. Each factory reads its own config section and
 * returns null when that section leaves it disabled.
 */
export type { ModuleFactory };

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
