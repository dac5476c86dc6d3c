import type { Route } from "../http/route.ts";
import type { AgentHttpServer } from "../http/server.ts";
import type { Logger } from "../lib/log.ts";
import type { MetricFamily, Sample } from "../lib/metrics.ts";
import type { SdNotifyStatus } from "../lib/sdnotify.ts";
import type { StatusReader } from "../protocol/reader.ts";
import type { Config } from "./config.ts";
import type { AgentWarning, RecentError } from "./health/types.ts";
import type { HistoryStore } from "./history/ring.ts";
import type { DeviceState } from "./state.ts";

export type { Logger, MetricFamily, Route, Sample };

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
  /** The running modules (the hub module hands relayed commands to the one that owns them). */
  readonly modules?: () => readonly AgentModule[];
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
  /** Runs a command the fleet hub relayed, when this module owns its action; null when it does not. */
  command?(c: RemoteCommand): Promise<RemoteResult> | null;
}

/** A command relayed from the fleet hub (test_camera, restart_service, reboot). */
export interface RemoteCommand {
  id: string;
  action: string;
  args: Record<string, unknown>;
  /** Set when the device refuses remote commands: the owner audits the refusal and runs nothing. */
  refuse?: string;
}

export interface RemoteResult {
  ok: boolean;
  output: string;
}

/** Builds a module from the config; null when its config section leaves it disabled. */
export type ModuleFactory = (config: Config) => AgentModule | null;
