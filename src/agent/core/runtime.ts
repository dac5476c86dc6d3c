import type { AgentHttpServer } from "../../http/server.ts";
import type { StatusReader } from "../../protocol/reader.ts";
import type { Config } from "../config.ts";
import type { HistoryStore } from "../history/ring.ts";
import type { AgentModule, Logger } from "../module.ts";
import type { DeviceState } from "../state.ts";

export interface AgentWarning {
  time: string;
  source: string;
  reason: string;
}

export interface RecentError {
  time: string;
  level: string;
  source: string;
  message: string;
  code?: string;
}

/** What the agent core shares with its own routes (the core module). Built once in agent.ts. */
export interface AgentRuntime {
  readonly config: Config;
  readonly configPath?: string;
  readonly state: DeviceState;
  readonly reader: StatusReader;
  readonly log: Logger;
  readonly version: string;
  readonly modules: AgentModule[];
  /** Modules that failed to start, with the reason (shown by /health/deep). */
  readonly moduleFailures: Map<string, string>;
  /** Latest reader warnings, newest last (bounded). */
  readonly warnings: AgentWarning[];
  warningsTotal: number;
  /** Error/critical events of the last hour, newest last (bounded). */
  readonly errors: RecentError[];
  /** Set when the status reader has stopped working (watch failed, status dir gone). */
  readerFailure: string | null;
  /** Inode of status_dir/status.d when the reader started watching it (a replaced dir is not watched). */
  statusDirIno: number | null;
  readonly history: HistoryStore;
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
