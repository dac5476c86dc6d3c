import type { AgentHttpServer } from "../../http/server.ts";
import type { StatusReader } from "../../protocol/reader.ts";
import type { Config } from "../config.ts";
import type { AgentInfo, AgentModule, AgentWarning, Logger, RecentError } from "../module.ts";
import type { DeviceState } from "../state.ts";

export type { AgentWarning, RecentError };

/**
 * What the agent keeps about itself, built once in agent.ts, which alone writes it. Modules see it
 * read-only as `ctx.agent` (AgentInfo).
 */
export interface AgentRuntime extends AgentInfo {
  readonly config: Config;
  readonly configPath?: string;
  readonly state: DeviceState;
  readonly reader: StatusReader;
  readonly log: Logger;
  readonly modules: AgentModule[];
  readonly moduleFailures: Map<string, string>;
  readonly warnings: AgentWarning[];
  warningsTotal: number;
  readonly errors: RecentError[];
  readerFailure: string | null;
  statusDirIno: number | null;
  http: AgentHttpServer | null;
}

export const MAX_WARNINGS = 50;
export const MAX_ERRORS = 20;
export const ERROR_WINDOW_MS = 3_600_000;

/** Drop errors older than the window; returns true when some were dropped. */
export function pruneErrors(rt: Pick<AgentRuntime, "errors">, now = Date.now()): boolean {
  let n = 0;
  while (n < rt.errors.length && now - Date.parse((rt.errors[n] as RecentError).time) > ERROR_WINDOW_MS) n++;
  if (n) rt.errors.splice(0, n);
  return n > 0;
}
