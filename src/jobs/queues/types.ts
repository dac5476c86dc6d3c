/** What the queue readers report, per queue. Plain JSON (it becomes collector data). */
export interface StuckJob {
  id: string;
  description: string | null;
  started_at: string | null;
  age_s: number | null;
  timeout_s: number | null;
  reason: string;
}

export interface WorkerInfo {
  name: string;
  state: string | null;
  last_heartbeat: string | null;
  heartbeat_age_s: number | null;
  dead: boolean;
  reason: string | null;
}

export interface QueueSnapshot {
  name: string;
  /** Job count per state (RQ: queued started failed deferred scheduled finished canceled; BullMQ: wait active completed failed delayed prioritized paused waiting-children stalled). */
  states: Record<string, number>;
  /** Jobs waiting to be picked up. */
  depth: number;
  /** Live workers serving this queue. */
  workers: number;
  /** Workers still registered whose heartbeat is too old (RQ); BullMQ has no worker heartbeat. */
  workers_dead: number;
  stuck: number;
  /** At most 20 of them. */
  stuck_jobs: StuckJob[];
  dead_workers: WorkerInfo[];
}

/** One collection of a queue system (RQ or BullMQ): Redis down is data (`up: false`, `error`), not a failure. */
export type QueueCollection = {
  up: boolean;
  /** Redis, without credentials. */
  target: string;
  error: string | null;
  queues: QueueSnapshot[];
};

export interface QueueReadOptions {
  now: number;
  workerDownAfterMs: number;
  /** A started job older than this is stuck (default: past its own timeout / lost lock). */
  stuckAfterMs?: number;
}

/** Started/active jobs inspected per queue per collection (bounded work on a huge backlog). */
export const MAX_INSPECTED = 200;
export const MAX_LISTED = 20;

/** RQ writes "2026-11-25T17:00:00.123456Z"; BullMQ writes ms numbers. */
export function parseRqTime(s: string | null): number | null {
  if (!s) return null;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z?$/.exec(s);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}.${(m[2] ?? "0").padEnd(3, "0").slice(0, 3)}Z`);
  return Number.isNaN(ms) ? null : ms;
}
