import { z } from "zod";
import { duration } from "../config/kit.ts";

/** A job name: also part of a status source name (`job-<name>`), so the same alphabet, 60 characters at most. */
export const JOB_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,59}$/;

const jobName = () =>
  z.string().regex(JOB_NAME_RE, { error: 'expected a job name like "nightly-backup" ([a-z0-9][a-z0-9_-]{0,59})' });

const schedule = () =>
  z
    .strictObject({
      name: jobName().describe("Job name, as given to `edgewatch run --name`"),
      every: duration().describe('How often the job must succeed, e.g. "24h"'),
      grace: duration()
        .prefault("0s")
        .describe('Extra time allowed after `every` before the missed-schedule alert fires, e.g. "2h"'),
    })
    .describe("A job that must succeed on a schedule (dead-man switch: alerts even if it never starts)");

const queues = () =>
  z
    .strictObject({
      redis_url: z
        .string()
        .regex(/^rediss?:\/\//, { error: 'expected a Redis URL like "redis://127.0.0.1:6379/0"' })
        .optional()
        .describe(
          "Redis holding the RQ / BullMQ queues; the queue collectors are off until it is set. Use ${ENV_VAR}.",
        ),
      interval: duration().prefault("30s").describe("How often the queue collectors read Redis"),
      rq: z
        .array(z.string().min(1))
        .default([])
        .describe("RQ queue names to watch; empty means every queue listed in Redis's `rq:queues` set"),
      bullmq: z.array(z.string().min(1)).default([]).describe("BullMQ queue names to watch"),
      bullmq_prefix: z.string().min(1).default("bull").describe("BullMQ key prefix"),
      depth_warning: z
        .number()
        .int()
        .nonnegative()
        .default(10)
        .describe("Queue depth (waiting jobs) above which a warning fires"),
      failed_warning: z
        .number()
        .int()
        .nonnegative()
        .default(0)
        .describe("Failed jobs held in a queue above which a warning fires"),
      worker_down_after: duration()
        .prefault("5m")
        .describe("A worker whose heartbeat is older than this is dead: critical alert"),
      stuck_after: duration()
        .optional()
        .describe(
          "A started job older than this is stuck; by default a job is stuck once it runs past its own timeout (RQ) or loses its lock (BullMQ)",
        ),
    })
    .prefault({})
    .describe("Queue collectors (read-only against Redis)");

/** `jobs:` — Jobs ledger, transfers and queue collectors. */
export const jobsSection = () =>
  z
    .strictObject({
      dir: z
        .string()
        .min(1)
        .optional()
        .describe(
          "Where the jobs ledger, dead letters, locks and the transfer ledger live (default: <state_dir>/jobs)",
        ),
      ledger_max_bytes: z
        .number()
        .int()
        .min(4096)
        .default(1024 * 1024)
        .describe("The jobs ledger is rotated (one old file kept) when it grows past this size"),
      schedules: z
        .array(schedule())
        .default([])
        .describe("Jobs that must succeed on a schedule; `edgewatch run --every/--grace` declares them too"),
      failures_alert: z
        .number()
        .int()
        .min(1)
        .default(3)
        .describe("A job that failed this many times within failures_window raises an alert"),
      failures_window: duration().prefault("24h").describe("Window for failures_alert"),
      queues: queues(),
    })
    .prefault({})
    .describe("Jobs ledger, transfers and queue collectors");

export type JobsConfig = z.output<ReturnType<typeof jobsSection>>;
