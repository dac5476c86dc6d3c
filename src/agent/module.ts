import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config/schema.ts";
import type { StatusReader } from "../protocol/reader.ts";
import type { DeviceState } from "./state.ts";

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
  /** Every metric family /metrics renders (without the device/site labels): for exports. */
  readonly metricFamilies?: () => MetricFamily[];
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** A route a module serves. `control: true` routes require the bearer token (http.token). */
export interface Route {
  method: "GET" | "POST" | "DELETE";
  /** Exact path, e.g. "/api/alerts"; with `prefix: true`, every path under it ("/ping/" serves /ping/x/y). */
  path: string;
  prefix?: boolean;
  /** Hand the body to `handle` as a Buffer instead of parsing it as JSON. */
  rawBody?: boolean;
  control?: boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL, body?: unknown): void | Promise<void>;
  /** Called when a control route refused a request (401/403/429) before `handle` ran: for audit logs. */
  onRejected?(req: IncomingMessage, status: number, message: string): void | Promise<void>;
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
  /** Called once the HTTP server is listening (e.g. to tell systemd READY=1). */
  ready?(url: string): void | Promise<void>;
  routes?(): Route[];
  metrics?(): MetricFamily[];
  /** For /health/deep: is this subsystem alive? */
  health?(): HealthVerdict;
}
