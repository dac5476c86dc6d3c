import { z } from "zod";
import { duration } from "../../config/kit.ts";
import { jobsDir, type LedgerSummary, ledgerSummarySync } from "../../jobs/ledger.ts";
import type { QueueSnapshot } from "../../jobs/queues/types.ts";
import { isPlainObject, type JsonObject } from "../../protocol/json.ts";
import type { DeviceState } from "../state.ts";
import { ruleBase, severity } from "./kit.ts";
import { type Condition, defineRule, type RuleHost, type RuleInput } from "./types.ts";

/**
 * Jobs and queue rules. Thresholds live in the `jobs:` config section (one place for
 * everything about jobs); `alerts.rules.<name>` only switches a rule and sets its severity and timing.
 */
const base = (d: Parameters<typeof ruleBase>[0]) => z.strictObject(ruleBase(d)).prefault({});

export interface JobView {
  name: string;
  data: JsonObject;
  everyMs: number | null;
  graceMs: number;
  /** Last success (ms): the status fragment's, or the ledger's when newer. */
  lastSuccess: number | null;
  /** When the missed-schedule alert is due (ms), for jobs with a schedule. */
  deadline: number | null;
}

const isoMs = (v: unknown): number | null => {
  if (typeof v !== "string") return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
};

/**
 * Every job the agent knows: declared in `jobs.schedules`, or seen in the status document
 * (`jobs.<name>` from `edgewatch run`). A schedule in the config wins over --every/--grace.
 * A job that never succeeded counts from the agent's start: the dead-man switch fires even if the
 * job never starts.
 */
export function jobViews(config: RuleHost, state: DeviceState, ledger: LedgerSummary = EMPTY): JobView[] {
  const doc = state.document.jobs;
  const jobs = isPlainObject(doc) ? doc : {};
  const names = new Set<string>([
    ...config.jobs.schedules.map((s) => s.name),
    ...ledger.schedules.keys(),
    ...Object.keys(jobs),
  ]);
  const out: JobView[] = [];
  for (const name of [...names].sort()) {
    const data = isPlainObject(jobs[name]) ? (jobs[name] as JsonObject) : {};
    const sched = config.jobs.schedules.find((s) => s.name === name);
    const fromRun = ledger.schedules.get(name);
    const everyMs = sched
      ? sched.every
      : typeof data.every_s === "number"
        ? data.every_s * 1000
        : (fromRun?.everyMs ?? null);
    const graceMs = sched
      ? sched.grace
      : typeof data.grace_s === "number"
        ? data.grace_s * 1000
        : (fromRun?.graceMs ?? 0);
    const fromDoc = isoMs(data.last_success);
    const fromLedger = ledger.successes.get(name) ?? null;
    const lastSuccess = fromDoc === null ? fromLedger : fromLedger === null ? fromDoc : Math.max(fromDoc, fromLedger);
    const deadline = everyMs ? (lastSuccess ?? state.startedAt) + everyMs + graceMs : null;
    out.push({ name, data, everyMs, graceMs, lastSuccess, deadline });
  }
  return out;
}

const EMPTY: LedgerSummary = { successes: new Map(), schedules: new Map() };

/** The ledger is read once per config (at rule creation); later runs arrive through their status fragments. */
const ledgerCache = new WeakMap<RuleHost, LedgerSummary>();
export function ledgerSuccesses(config: RuleHost): LedgerSummary {
  let m = ledgerCache.get(config);
  if (!m) {
    m = ledgerSummarySync(jobsDir(config));
    ledgerCache.set(config, m);
  }
  return m;
}

const fmtAgo = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
};

/** Dead-man switch: a scheduled job has not succeeded within every + grace. Deadline-driven (wakeAt). */
export const jobMissedScheduleRule = defineRule({
  name: "job_missed_schedule",
  description: "A job declared with every/grace (config or edgewatch run --every) has not succeeded in time",
  config: () => base({ severity: "critical", for: "0s", clear_for: "0s" }),
  create(cfg, config) {
    if (!cfg.enabled) return null;
    const ledger = ledgerSuccesses(config);
    return {
      name: "job_missed_schedule",
      forMs: cfg.for,
      clearForMs: cfg.clear_for,
      evaluate(input) {
        const conditions: Condition[] = [];
        let wakeAt: number | undefined;
        for (const j of jobViews(config, input.state, ledger)) {
          if (j.deadline === null || j.everyMs === null) continue;
          const missed = input.now >= j.deadline;
          if (!missed) wakeAt = Math.min(wakeAt ?? Number.POSITIVE_INFINITY, j.deadline);
          const since =
            j.lastSuccess === null ? "never succeeded" : `last success ${fmtAgo(input.now - j.lastSuccess)} ago`;
          conditions.push({
            key: j.name,
            source: `job-${j.name}`,
            severity: missed ? cfg.severity : null,
            summary: missed
              ? `Job ${j.name} missed its schedule: ${since} (every ${fmtAgo(j.everyMs)}, grace ${fmtAgo(j.graceMs)})`
              : `Job ${j.name} succeeded again`,
            fields: {
              job: j.name,
              last_success: j.lastSuccess === null ? null : new Date(j.lastSuccess).toISOString(),
              deadline: new Date(j.deadline).toISOString(),
            },
          });
        }
        return wakeAt === undefined ? { conditions } : { conditions, wakeAt };
      },
    };
  },
});

/** A job failed N times within the window (e.g. 3 times in 24 h); clears as failures age out. */
export const jobFailuresRule = defineRule({
  name: "job_failures",
  description: "A job failed jobs.failures_alert times within jobs.failures_window",
  config: () => base({ severity: "warning", for: "0s", clear_for: "0s" }),
  create(cfg, config) {
    if (!cfg.enabled) return null;
    const { failures_alert: limit, failures_window: windowMs } = config.jobs;
    return {
      name: "job_failures",
      forMs: cfg.for,
      clearForMs: cfg.clear_for,
      evaluate(input) {
        const conditions: Condition[] = [];
        let wakeAt: number | undefined;
        for (const j of jobViews(config, input.state)) {
          const list = Array.isArray(j.data.recent_failures) ? j.data.recent_failures : [];
          const times = list
            .map(isoMs)
            .filter((t): t is number => t !== null && input.now - t < windowMs)
            .sort((a, b) => a - b);
          const on = times.length >= limit;
          if (on)
            wakeAt = Math.min(wakeAt ?? Number.POSITIVE_INFINITY, (times[times.length - limit] as number) + windowMs);
          conditions.push({
            key: j.name,
            source: `job-${j.name}`,
            severity: on ? cfg.severity : null,
            value: times.length,
            summary: on
              ? `Job ${j.name} failed ${times.length} times in the last ${fmtAgo(windowMs)}`
              : `Job ${j.name}: failures back under ${limit} in ${fmtAgo(windowMs)}`,
          });
        }
        return wakeAt === undefined ? { conditions } : { conditions, wakeAt };
      },
    };
  },
});

/** The last run of a job was dead-lettered (all attempts failed); clears on its next success. */
export const jobDeadLetterRule = defineRule({
  name: "job_dead_letter",
  description: "A job's last run failed every attempt and was dead-lettered",
  config: () => base({ severity: "warning", for: "0s", clear_for: "0s" }),
  create(cfg, config) {
    if (!cfg.enabled) return null;
    return {
      name: "job_dead_letter",
      forMs: cfg.for,
      clearForMs: cfg.clear_for,
      evaluate(input) {
        const conditions: Condition[] = [];
        for (const j of jobViews(config, input.state)) {
          const s = j.data.last_status;
          if (s !== "dead_letter" && s !== "success") continue; // running/retrying: keep the current state
          const dead = s === "dead_letter";
          const attempts = typeof j.data.last_attempt === "number" ? j.data.last_attempt : "?";
          const code = j.data.last_signal ?? `exit ${String(j.data.last_exit_code)}`;
          conditions.push({
            key: j.name,
            source: `job-${j.name}`,
            severity: dead ? cfg.severity : null,
            summary: dead
              ? `Job ${j.name} failed all ${attempts} attempts (${String(code)}); dead-lettered`
              : `Job ${j.name} succeeded`,
          });
        }
        return { conditions };
      },
    };
  },
});

/** Queues of both systems from the rq and bullmq collectors' last data. */
export function queueData(
  state: DeviceState,
): { system: "rq" | "bullmq"; up: boolean; error: string | null; queues: QueueSnapshot[] }[] {
  const out: { system: "rq" | "bullmq"; up: boolean; error: string | null; queues: QueueSnapshot[] }[] = [];
  for (const system of ["rq", "bullmq"] as const) {
    const r = state.collectors.get(system);
    if (!r?.ok) continue;
    const d = r.data;
    out.push({
      system,
      up: d.up === true,
      error: typeof d.error === "string" ? d.error : null,
      queues: Array.isArray(d.queues) ? (d.queues as unknown as QueueSnapshot[]) : [],
    });
  }
  return out;
}

function queueRule(
  name: string,
  description: string,
  sev: "warning" | "critical",
  check: (
    q: QueueSnapshot,
    system: string,
    config: RuleHost,
    input: RuleInput,
  ) => { on: boolean; summary: string; value?: number; fields?: JsonObject },
) {
  return defineRule({
    name,
    description,
    config: () => base({ severity: sev, for: "0s", clear_for: "0s" }),
    create(cfg, config) {
      if (!cfg.enabled) return null;
      return {
        name,
        forMs: cfg.for,
        clearForMs: cfg.clear_for,
        evaluate(input) {
          const conditions: Condition[] = [];
          for (const sys of queueData(input.state)) {
            for (const q of sys.queues) {
              const c = check(q, sys.system, config, input);
              conditions.push({
                key: `${sys.system}:${q.name}`,
                severity: c.on ? cfg.severity : null,
                summary: c.summary,
                ...(c.value !== undefined ? { value: c.value } : {}),
                ...(c.fields ? { fields: c.fields } : {}),
              });
            }
          }
          return { conditions };
        },
      };
    },
  });
}

/** Job-queue review: queue depth > 10 (warning). */
export const queueDepthRule = queueRule(
  "queue_depth",
  "A queue holds more waiting jobs than jobs.queues.depth_warning",
  "warning",
  (q, system, config) => {
    const limit = config.jobs.queues.depth_warning;
    return {
      on: q.depth > limit,
      value: q.depth,
      summary:
        q.depth > limit
          ? `${system} queue ${q.name}: ${q.depth} jobs waiting (over ${limit})`
          : `${system} queue ${q.name}: depth back to ${q.depth}`,
    };
  },
);

/** Job-queue failure scenario: a job stuck in "started" forever after its worker crashed. */
export const queueStuckRule = queueRule(
  "queue_stuck_jobs",
  "A queue has started jobs past their timeout (RQ) or stalled without a lock (BullMQ)",
  "critical",
  (q, system) => ({
    on: q.stuck > 0,
    value: q.stuck,
    summary:
      q.stuck > 0
        ? `${system} queue ${q.name}: ${q.stuck} stuck job${q.stuck === 1 ? "" : "s"} (${q.stuck_jobs[0]?.id}: ${q.stuck_jobs[0]?.reason})`
        : `${system} queue ${q.name}: no stuck jobs`,
    fields: { stuck_jobs: q.stuck_jobs as unknown as JsonObject[] },
  }),
);

/** Job-queue review: worker down > 5 min (critical). RQ: a registered worker's heartbeat is too old. */
export const queueWorkerDownRule = queueRule(
  "queue_worker_down",
  "A queue worker stopped heartbeating for longer than jobs.queues.worker_down_after",
  "critical",
  (q, system) => ({
    on: q.workers_dead > 0,
    value: q.workers_dead,
    summary:
      q.workers_dead > 0
        ? `${system} queue ${q.name}: worker ${q.dead_workers[0]?.name} down (${q.dead_workers[0]?.reason})`
        : `${system} queue ${q.name}: workers alive`,
    fields: { dead_workers: q.dead_workers as unknown as JsonObject[] },
  }),
);

/**
 * Jobs are waiting and no worker serves the queue (BullMQ workers have no heartbeat: a dead one just
 * disappears). Fires after jobs.queues.worker_down_after (unless alerts.rules.queue_no_workers.for is set).
 */
export const queueNoWorkersRule = defineRule({
  name: "queue_no_workers",
  description: "Jobs are waiting and no live worker serves the queue, for longer than jobs.queues.worker_down_after",
  config: () =>
    z
      .strictObject({
        enabled: z.boolean().default(true).describe("Evaluate this rule"),
        severity: severity().default("critical").describe("Severity of the alert"),
        for: duration().optional().describe("How long before the alert fires (default: jobs.queues.worker_down_after)"),
        clear_for: duration()
          .prefault("0s")
          .describe("A firing alert resolves only after the condition stayed clear this long"),
      })
      .prefault({}),
  create(cfg, config) {
    if (!cfg.enabled) return null;
    return {
      name: "queue_no_workers",
      forMs: cfg.for ?? config.jobs.queues.worker_down_after,
      clearForMs: cfg.clear_for,
      evaluate(input) {
        const conditions: Condition[] = [];
        for (const sys of queueData(input.state)) {
          for (const q of sys.queues) {
            const on = q.workers === 0 && q.depth > 0;
            conditions.push({
              key: `${sys.system}:${q.name}`,
              severity: on ? cfg.severity : null,
              value: q.depth,
              summary: on
                ? `${sys.system} queue ${q.name}: ${q.depth} jobs waiting and no live worker`
                : `${sys.system} queue ${q.name}: served again`,
            });
          }
        }
        return { conditions };
      },
    };
  },
});

/** Failed jobs held in a queue's failed registry/set over jobs.queues.failed_warning. */
export const queueFailedRule = queueRule(
  "queue_failed_jobs",
  "A queue holds more failed jobs than jobs.queues.failed_warning",
  "warning",
  (q, system, config) => {
    const failed = q.states.failed ?? 0;
    const limit = config.jobs.queues.failed_warning;
    return {
      on: failed > limit,
      value: failed,
      summary:
        failed > limit
          ? `${system} queue ${q.name}: ${failed} failed job${failed === 1 ? "" : "s"}`
          : `${system} queue ${q.name}: failed jobs cleared`,
    };
  },
);

/** The Redis holding the queues cannot be read: the queue collectors report "down". */
export const queueBackendDownRule = defineRule({
  name: "queue_backend_down",
  description: "The Redis holding the RQ/BullMQ queues cannot be read",
  config: () => base({ severity: "critical", for: "1m", clear_for: "0s" }),
  create(cfg) {
    if (!cfg.enabled) return null;
    return {
      name: "queue_backend_down",
      forMs: cfg.for,
      clearForMs: cfg.clear_for,
      evaluate(input) {
        return {
          conditions: queueData(input.state).map((s) => ({
            key: s.system,
            severity: s.up ? null : cfg.severity,
            summary: s.up ? `${s.system} queues readable again` : `${s.system} queues unreadable: ${s.error}`,
          })),
        };
      },
    };
  },
});

export const jobRules = [
  jobMissedScheduleRule,
  jobFailuresRule,
  jobDeadLetterRule,
  queueDepthRule,
  queueStuckRule,
  queueWorkerDownRule,
  queueNoWorkersRule,
  queueFailedRule,
  queueBackendDownRule,
];
