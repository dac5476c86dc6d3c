// The agent's API types, imported from the server (`import type`: nothing of the server is bundled).
// Pages use these instead of redefining the shapes they read.
import type { CollectorDataMap, CollectorName, CollectorResultOf } from "../../src/agent/collectors/data.ts";
import type { CollectorResultFrame, DashboardFeatures, DashboardSnapshot } from "../../src/agent/dashboard/types.ts";
import type { RecentLogs } from "../../src/agent/files/types.ts";
import type { HealthAnswer } from "../../src/agent/health/types.ts";
import type { HistoryView } from "../../src/agent/history/types.ts";
import type { ConfigAnswer, GaugeThresholds } from "../../src/agent/status/types.ts";
import type { AlertState } from "../../src/notify/alert.ts";

export type {
  CameraData,
  DiskUsage,
  RedisData,
  ScheduleData,
  SystemData,
  ThermalData,
} from "../../src/agent/collectors/data.ts";
export type { Band } from "../../src/agent/status/types.ts";
export type {
  AlertState,
  CollectorDataMap,
  CollectorName,
  CollectorResultFrame,
  CollectorResultOf,
  ConfigAnswer,
  DashboardFeatures,
  DashboardSnapshot,
  GaugeThresholds,
  HealthAnswer,
  HistoryView,
  RecentLogs,
};

/** Each collector's last result, typed by its name (a collector that is off or has not run is absent). */
export type CollectorResults = { [K in CollectorName]?: CollectorResultOf<K> };
