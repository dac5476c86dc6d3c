import type { ServerResponse } from "node:http";
import { sendError, sendJson } from "../../http/respond.ts";
import { jobsDir, jobsLayout } from "../../jobs/ledger.ts";
import { TransferLedger, verifiedLedgerPath } from "../../jobs/transfer-ledger.ts";
import { ledgerTailReader } from "../../lib/jsonl.ts";
import { isPlainObject, type JsonObject } from "../../protocol/json.ts";
import type { Config } from "../config.ts";
import type { AgentContext, AgentModule, HealthVerdict, MetricFamily, Route, Sample } from "../module.ts";
import { jobViews, ledgerSuccesses, queueData } from "../rules/module.ts";

/** `?limit=N` (1..max); null plus a 400 already sent when it is malformed. */
function limitParam(url: URL, res: ServerResponse, def: number, max: number): number | null {
  const raw = url.searchParams.get("limit");
  if (raw === null) return def;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    sendError(res, 400, `limit: expected a whole number from 1 to ${max}, got ${JSON.stringify(raw)}`);
    return null;
  }
  return Number(raw);
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/**
 * The jobs agent module: /api/jobs (+ the seeds' /admin/jobs, /admin/transfer-status) and the job,
 * queue and transfer metrics. It only reads: job runs and transfers arrive through their status
 * fragments (`job-<name>`, `transfer-<name>`), queues through the rq/bullmq collectors, history from
 * the ledgers on disk (bounded tail reads per request). Alerts come from the rules in
 * src/agent/rules/jobs.ts (the missed-schedule rule is deadline-driven: no polling).
 */
export class JobsModule implements AgentModule {
  readonly name = "jobs";
  private ctx: AgentContext | null = null;
  private readonly dir: string;
  private readonly transfers: TransferLedger;
  /** A ledger that is not a regular file reads as empty, with one warning (not a 500). */
  private readonly readLedger = ledgerTailReader((msg, fields) => this.ctx?.log.warn(msg, fields));

  constructor(private readonly config: Config) {
    this.dir = jobsDir(config);
    this.transfers = new TransferLedger(config.state_dir);
  }

  start(ctx: AgentContext): void {
    this.ctx = ctx;
    ledgerSuccesses(this.config); // read the ledger's last successes once, at startup
  }

  health(): HealthVerdict {
    return { ok: true };
  }

  private get state() {
    return (this.ctx as AgentContext).state;
  }

  /** The jobs overview: each known job with its deadline, plus the queues. */
  jobsOverview(now = Date.now()): JsonObject {
    const jobs = jobViews(this.config, this.state, ledgerSuccesses(this.config)).map((j) => ({
      name: j.name,
      ...j.data,
      last_success: j.lastSuccess === null ? null : new Date(j.lastSuccess).toISOString(),
      every_s: j.everyMs === null ? null : j.everyMs / 1000,
      grace_s: j.graceMs / 1000,
      deadline: j.deadline === null ? null : new Date(j.deadline).toISOString(),
      overdue: j.deadline !== null && now >= j.deadline,
    }));
    const queues = queueData(this.state).map((s) => ({ system: s.system, up: s.up, error: s.error, queues: s.queues }));
    return { jobs, queues } as unknown as JsonObject;
  }

  routes(): Route[] {
    const jobs: Route["handle"] = async (_req, res, url) => {
      const limit = limitParam(url, res, 50, 1000);
      if (limit === null) return;
      const l = jobsLayout(this.dir);
      const [recent, deadLetters] = await Promise.all([
        this.readLedger(l.ledger, limit),
        this.readLedger(l.deadLetters, limit),
      ]);
      const warnings = [recent.problem, deadLetters.problem].filter((p) => p !== null);
      sendJson(res, 200, {
        ...this.jobsOverview(),
        recent_attempts: recent.records.reverse(),
        dead_letters: deadLetters.records.reverse(),
        ...(warnings.length ? { warnings } : {}),
      });
    };
    return [
      { method: "GET", path: "/api/jobs", handle: jobs },
      { method: "GET", path: "/admin/jobs", handle: jobs },
      {
        method: "GET",
        path: "/admin/transfer-status",
        handle: async (_req, res, url) => {
          const limit = limitParam(url, res, 20, 1000);
          if (limit === null) return;
          const t = this.state.document.transfers;
          const verified = await this.readLedger(this.transfers.path, limit);
          sendJson(res, 200, {
            transfers: isPlainObject(t) ? t : {},
            verified_ledger: verifiedLedgerPath(this.config.state_dir),
            recent_verified: verified.records.reverse(),
            ...(verified.problem ? { warnings: [verified.problem] } : {}),
          });
        },
      },
    ];
  }

  metrics(): MetricFamily[] {
    if (!this.ctx) return [];
    const views = jobViews(this.config, this.state, ledgerSuccesses(this.config));
    const lastSuccess: Sample[] = [];
    const runs: Sample[] = [];
    const duration: Sample[] = [];
    const dead: Sample[] = [];
    const overdue: Sample[] = [];
    const now = Date.now();
    for (const j of views) {
      const job = { job: j.name };
      if (j.lastSuccess !== null) lastSuccess.push({ labels: job, value: j.lastSuccess / 1000 });
      const r = isPlainObject(j.data.runs) ? j.data.runs : {};
      for (const result of ["success", "failure", "timeout"]) {
        runs.push({ labels: { ...job, result }, value: num(r[result]) ?? 0 });
      }
      const d = num(j.data.last_duration_s);
      if (d !== null) duration.push({ labels: job, value: d });
      dead.push({ labels: job, value: num(j.data.dead_letters) ?? 0 });
      if (j.deadline !== null) overdue.push({ labels: job, value: now >= j.deadline ? 1 : 0 });
    }
    const qJobs: Sample[] = [];
    const qWorkers: Sample[] = [];
    const qDead: Sample[] = [];
    const qStuck: Sample[] = [];
    const qUp: Sample[] = [];
    for (const s of queueData(this.state)) {
      qUp.push({ labels: { system: s.system }, value: s.up ? 1 : 0 });
      for (const q of s.queues) {
        const l = { system: s.system, queue: q.name };
        for (const [state, n] of Object.entries(q.states)) qJobs.push({ labels: { ...l, state }, value: n });
        qWorkers.push({ labels: l, value: q.workers });
        qDead.push({ labels: l, value: q.workers_dead });
        qStuck.push({ labels: l, value: q.stuck });
      }
    }
    const t = this.state.document.transfers;
    let verified = 0;
    let failed = 0;
    let deleted = 0;
    let bytes = 0;
    let transfersSeen = false;
    if (isPlainObject(t)) {
      for (const v of Object.values(t)) {
        const totals = isPlainObject(v) && isPlainObject(v.totals) ? v.totals : null;
        if (!totals) continue;
        transfersSeen = true;
        verified += num(totals.verified_files) ?? 0;
        failed += num(totals.failed_files) ?? 0;
        deleted += num(totals.deleted_files) ?? 0;
        bytes += num(totals.verified_bytes) ?? 0;
      }
    }
    const fam = (
      name: string,
      help: string,
      type: "gauge" | "counter",
      samples: Sample[],
      unit?: string,
    ): MetricFamily[] => (samples.length ? [{ name, help, type, ...(unit ? { unit } : {}), samples }] : []);
    return [
      ...fam(
        "edgewatch_job_last_success_timestamp_seconds",
        "When each job last succeeded (edgewatch run)",
        "gauge",
        lastSuccess,
        "seconds",
      ),
      ...fam("edgewatch_job_runs_total", "Job attempts by result (success, failure, timeout)", "counter", runs),
      ...fam("edgewatch_job_duration_seconds", "Duration of each job's last attempt", "gauge", duration, "seconds"),
      ...fam("edgewatch_job_dead_letters_total", "Job runs that failed every attempt", "counter", dead),
      ...fam("edgewatch_job_overdue", "1 when a scheduled job missed its every + grace deadline", "gauge", overdue),
      ...fam("edgewatch_queue_up", "1 when the queue Redis could be read", "gauge", qUp),
      ...fam("edgewatch_queue_jobs", "Jobs per queue and state (RQ registries, BullMQ sets)", "gauge", qJobs),
      ...fam("edgewatch_queue_workers", "Live workers per queue", "gauge", qWorkers),
      ...fam("edgewatch_queue_dead_workers", "Registered workers whose heartbeat is too old (RQ)", "gauge", qDead),
      ...fam("edgewatch_queue_stuck_jobs", "Started jobs past their timeout or stalled", "gauge", qStuck),
      ...(transfersSeen
        ? [
            {
              name: "edgewatch_transfer_files_total",
              help: "Files handled by edgewatch transfer, by result (verified, failed, deleted)",
              type: "counter" as const,
              samples: [
                { labels: { result: "verified" }, value: verified },
                { labels: { result: "failed" }, value: failed },
                { labels: { result: "deleted" }, value: deleted },
              ],
            },
            {
              name: "edgewatch_transfer_bytes_total",
              help: "Bytes transferred and verified by edgewatch transfer",
              type: "counter" as const,
              unit: "bytes",
              samples: [{ value: bytes }],
            },
          ]
        : []),
    ];
  }
}

/** Registered in src/agent/modules.ts. Always on: it costs nothing until a job or transfer reports. */
export const jobsModule = (config: Config): AgentModule => new JobsModule(config);
