import { collectQueues, readRq } from "../../jobs/queues/index.ts";
import type { QueuesData } from "./data.ts";
import type { CollectorFactory } from "./types.ts";

export type { QueuesData };

/**
 * Python RQ queues (read-only against Redis): depth, started/failed/deferred/scheduled registries,
 * stuck started jobs, workers and their heartbeat age. Metrics come from the jobs module
 * (edgewatch_queue_jobs, edgewatch_queue_workers), which merges RQ and BullMQ into one family each.
 */
export const rqCollector: CollectorFactory<undefined, QueuesData> = (config) => {
  const q = config.jobs.queues;
  if (!q.redis_url) return null;
  return {
    name: "rq",
    essential: false,
    intervalMs: q.interval,
    collect: (ctx) => collectQueues(config, (r, o) => readRq(r, q.rq, o), ctx.now(), ctx.signal),
  };
};
