import { parseRedisUrl, RedisReader } from "../../lib/redis.ts";
import type { JobsConfig } from "../config.ts";
import type { QueueCollection, QueueReadOptions, QueueSnapshot } from "./types.ts";

/** How long one queue collection may wait for Redis before it says "down". */
export const QUEUE_TIMEOUT_MS = 5000;

/**
 * One collection against Redis: connect, read, close. Never throws for Redis trouble: an unreachable
 * or refusing Redis is data (`up: false`, `error` says why), so the agent shows a "down" state.
 */
export async function collectQueues(
  config: { jobs: JobsConfig },
  read: (r: RedisReader, o: QueueReadOptions) => Promise<QueueSnapshot[]>,
  now: number,
  signal?: AbortSignal,
): Promise<QueueCollection> {
  const q = config.jobs.queues;
  const url = q.redis_url as string;
  let target = "?";
  try {
    target = parseRedisUrl(url).label;
  } catch {}
  let r: RedisReader | null = null;
  const onAbort = () => r?.close();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    r = await RedisReader.connect(url, QUEUE_TIMEOUT_MS);
    const queues = await read(r, {
      now,
      workerDownAfterMs: q.worker_down_after,
      ...(q.stuck_after !== undefined ? { stuckAfterMs: q.stuck_after } : {}),
    });
    return { up: true, target, error: null, queues };
  } catch (err) {
    return { up: false, target, error: (err as Error).message || String(err), queues: [] };
  } finally {
    signal?.removeEventListener("abort", onAbort);
    r?.close();
  }
}
