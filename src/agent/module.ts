import type { Config } from "../config/schema.ts";
import type { Route } from "../http/route.ts";
import type { Logger } from "../lib/log.ts";
import type { SdNotifyStatus } from "../lib/sdnotify.ts";
import type { StatusReader } from "../protocol/reader.ts";
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
  /** The running modules (the hub module hands relayed commands to the one that owns them). */
  readonly modules?: () => readonly AgentModule[];
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
