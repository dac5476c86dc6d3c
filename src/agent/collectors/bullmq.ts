import { collectQueues, readBullmq } from "../../jobs/queues/index.ts";
import type { QueuesData } from "./data.ts";
import type { CollectorFactory } from "./types.ts";

export type { QueuesData };

/**
 * BullMQ queues (read-only against Redis): wait, active, completed, failed, delayed, prioritized;
 * stalled jobs (active without a lock); live workers (named client connections). Enabled when
 * jobs.queues.redis_url is set and jobs.queues.bullmq names at least one queue.
 */
export const bullmqCollector: CollectorFactory<undefined, QueuesData> = (config) => {
  const q = config.jobs.queues;
  if (!q.redis_url || q.bullmq.length === 0) return null;
  return {
    name: "bullmq",
    essential: false,
    intervalMs: q.interval,
    collect: (ctx) =>
      collectQueues(config, (r, o) => readBullmq(r, q.bullmq, q.bullmq_prefix, o), ctx.now(), ctx.signal),
  };
};
