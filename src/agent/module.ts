import type { Config } from "../config/schema.ts";
import type { Route } from "../http/route.ts";
import type { AgentHttpServer } from "../http/server.ts";
import type { Logger } from "../lib/log.ts";
import type { SdNotifyStatus } from "../lib/sdnotify.ts";
import type { StatusReader } from "../protocol/reader.ts";
import type { AgentWarning, RecentError } from "./health/types.ts";
import type { HistoryStore } from "./history/ring.ts";
import type { DeviceState } from "./state.ts";

export type { Logger, Route };

/**
 * The agent is a set of modules wired around one DeviceState. Data flows one way:
 * writers → reader → state → rules → alerts → outbox → channels. HTTP routes, /metrics and
 * exports only read state. A new capability is one module, registered in ./modules.ts.
 */
export interface AgentContext {
  readonly config: Config;
  /** Path of the config file, when there is one (for /config and reloads). */
  readonly configPath?: string;
  readonly state: DeviceState;
  readonly reader: StatusReader;
  readonly log: Logger;
  /** What the process tells systemd; the kernel owns sd_notify, modules only report it. */
  readonly sdNotify?: () => SdNotifyStatus | null;
  /** Every metric family /metrics renders (without the device/site labels): for exports. */
  readonly metricFamilies?: () => MetricFamily[];
  /** What the agent keeps about itself, for the modules that report on it (health, status, metrics). */
  readonly agent?: AgentInfo;
}

export type { AgentWarning, RecentError };

/** What the agent keeps about itself (src/agent/agent.ts owns it): modules read it, never write it. */
export interface AgentInfo {
  readonly version: string;
  /** The started modules, in start order. */
  readonly modules: readonly AgentModule[];
  /** Modules that failed to start, with the reason (shown by /health/deep). */
  readonly moduleFailures: ReadonlyMap<string, string>;
  /** Latest reader warnings, newest last (bounded). */
  readonly warnings: readonly AgentWarning[];
  readonly warningsTotal: number;
  /** Error/critical events of the last hour, newest last (bounded). */
  readonly errors: readonly RecentError[];
  /** Set when the status reader has stopped working (watch failed, status dir gone). */
  readonly readerFailure: string | null;
  /** Inode of status_dir/status.d when the reader started watching it (a replaced dir is not watched). */
  readonly statusDirIno: number | null;
  /** The sample history (GET /api/metrics/history). */
  readonly history: HistoryStore;
  /** Null until the HTTP server is listening. */
  readonly http: AgentHttpServer | null;
}

export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

/** One Prometheus metric family; the HTTP layer adds the device/site labels and renders it. */
export interface MetricFamily {
  name: string;
  help: string;
  type: "gauge" | "counter";
  unit?: string;
  samples: Sample[];
}

export interface HealthVerdict {
  ok: boolean;
  detail?: string;
}

export interface AgentModule {
  readonly name: string;
  start(ctx: AgentContext): void | Promise<void>;
  stop?(): void | Promise<void>;
  /** Called once the HTTP server is listening. */
  ready?(url: string): void | Promise<void>;
  routes?(): Route[];
  metrics?(): MetricFamily[];
  /** For /health/deep: is this subsystem alive? */
  health?(): HealthVerdict;
}

/** Builds a module from the config; null when its config section leaves it disabled. */
export type ModuleFactory = (config: Config) => AgentModule | null;
