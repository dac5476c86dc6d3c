import { asArray, asNumber, asString, type RedisReader, type Reply } from "../../lib/redis.ts";
import {
  MAX_INSPECTED,
  MAX_LISTED,
  parseRqTime,
  type QueueReadOptions,
  type QueueSnapshot,
  type StuckJob,
  type WorkerInfo,
} from "./types.ts";

/** RQ's registries per queue (sorted sets) and what we call them. */
const REGISTRIES: [state: string, prefix: string][] = [
  ["started", "rq:wip:"],
  ["failed", "rq:failed:"],
  ["deferred", "rq:deferred:"],
  ["scheduled", "rq:scheduled:"],
  ["finished", "rq:finished:"],
  ["canceled", "rq:canceled:"],
];

/** RQ closes a worker's hash this long after its promised heartbeat (worker_ttl + 60 s). */
const RQ_KEY_SLACK_MS = 60_000;

/**
 * Reads RQ's keys (read-only: LLEN, ZCARD, ZRANGE, SMEMBERS, HMGET, PTTL). Queue names: `names`, or
 * every queue in the `rq:queues` set when empty.
 *
 * Stuck: a job in the started registry (`rq:wip:<q>`) that ran past its own `timeout` (or past
 * stuck_after), or whose registry entry expired (its worker stopped heartbeating it).
 * Dead worker: registered in `rq:workers:<q>` but its heartbeat is older than both worker_down_after
 * and the worker's own heartbeat period (an idle RQ worker heartbeats only every worker_ttl − 15 s,
 * 405 s by default), or its hash has already expired.
 */
export async function readRq(r: RedisReader, names: string[], o: QueueReadOptions): Promise<QueueSnapshot[]> {
  let queues = names;
  if (queues.length === 0) {
    const [members] = await r.pipeline([["SMEMBERS", "rq:queues"]]);
    queues = asArray(members)
      .map((m) => String(m).replace(/^rq:queue:/, ""))
      .sort();
  }
  const out: QueueSnapshot[] = [];
  for (const q of queues) {
    const round1 = await r.pipeline([
      ["LLEN", `rq:queue:${q}`],
      ...REGISTRIES.map(([, p]) => ["ZCARD", `${p}${q}`]),
      ["ZRANGE", `rq:wip:${q}`, "0", String(MAX_INSPECTED - 1), "WITHSCORES"],
      ["SMEMBERS", `rq:workers:${q}`],
    ]);
    checkErrors(round1, `RQ queue ${q}`);
    const states: Record<string, number> = { queued: asNumber(round1[0]) };
    REGISTRIES.forEach(([s], i) => {
      states[s] = asNumber(round1[1 + i]);
    });
    const wip = asArray(round1[1 + REGISTRIES.length]).map((x) => String(x));
    const workerKeys = asArray(round1[2 + REGISTRIES.length])
      .map((x) => String(x))
      .sort();

    // started jobs: member → job id (RQ 2.x members are "<job>:<execution>")
    const started: { id: string; expiresAt: number }[] = [];
    for (let i = 0; i + 1 < wip.length; i += 2) {
      started.push({ id: wip[i] as string, expiresAt: Number(wip[i + 1]) * 1000 });
    }
    const jobFields = ["started_at", "timeout", "description", "status"];
    let hashes = await r.pipeline(started.map((s) => ["HMGET", `rq:job:${s.id}`, ...jobFields]));
    const retry = started
      .map((s, i) => ({ s, i }))
      .filter(({ s, i }) => s.id.includes(":") && asArray(hashes[i]).every((v) => v === null));
    if (retry.length) {
      const again = await r.pipeline(
        retry.map(({ s }) => ["HMGET", `rq:job:${s.id.slice(0, s.id.lastIndexOf(":"))}`, ...jobFields]),
      );
      hashes = [...hashes];
      retry.forEach(({ s, i }, k) => {
        s.id = s.id.slice(0, s.id.lastIndexOf(":"));
        hashes[i] = again[k] as Reply;
      });
    }
    const stuckJobs: StuckJob[] = [];
    started.forEach((s, i) => {
      const [startedAtRaw, timeoutRaw, description] = asArray(hashes[i]).map(asString) as (string | null)[];
      const startedAt = parseRqTime(startedAtRaw ?? null);
      const timeoutS = timeoutRaw !== null && timeoutRaw !== undefined ? Number(timeoutRaw) : null;
      const ageMs = startedAt === null ? null : o.now - startedAt;
      let reason: string | null = null;
      if (ageMs !== null && o.stuckAfterMs !== undefined && ageMs > o.stuckAfterMs) {
        reason = `started ${Math.round(ageMs / 1000)} s ago, over stuck_after ${Math.round(o.stuckAfterMs / 1000)} s`;
      } else if (ageMs !== null && timeoutS !== null && timeoutS > 0 && ageMs > timeoutS * 1000) {
        reason = `started ${Math.round(ageMs / 1000)} s ago, past its ${timeoutS} s timeout`;
      } else if (Number.isFinite(s.expiresAt) && s.expiresAt < o.now) {
        reason = "its worker stopped heartbeating it (started registry entry expired)";
      }
      if (reason) {
        stuckJobs.push({
          id: s.id,
          description: description ?? null,
          started_at: startedAt === null ? null : new Date(startedAt).toISOString(),
          age_s: ageMs === null ? null : Math.round(ageMs / 1000),
          timeout_s: timeoutS,
          reason,
        });
      }
    });

    const wk = await r.pipeline(
      workerKeys.flatMap((k) => [
        ["HMGET", k, "last_heartbeat", "state"],
        ["PTTL", k],
      ]),
    );
    let alive = 0;
    const dead: WorkerInfo[] = [];
    workerKeys.forEach((k, i) => {
      const [hb, state] = asArray(wk[2 * i]).map(asString) as (string | null)[];
      const pttl = asNumber(wk[2 * i + 1]);
      const name = k.replace(/^rq:worker:/, "");
      const hbMs = parseRqTime(hb ?? null);
      const ageMs = hbMs === null ? null : o.now - hbMs;
      let reason: string | null = null;
      if (hbMs === null || pttl === -2) {
        reason = "its key expired (no heartbeat within worker_ttl)";
      } else if (ageMs !== null) {
        // the worker's own promise: the key's TTL was set to worker_ttl + 60 s at the last heartbeat
        const workerTtlMs = pttl > 0 ? pttl + (ageMs ?? 0) - RQ_KEY_SLACK_MS : 0;
        const limit = Math.max(o.workerDownAfterMs, workerTtlMs);
        if (ageMs > limit)
          reason = `no heartbeat for ${Math.round(ageMs / 1000)} s (limit ${Math.round(limit / 1000)} s)`;
      }
      if (reason) {
        dead.push({
          name,
          state: state ?? null,
          last_heartbeat: hbMs === null ? null : new Date(hbMs).toISOString(),
          heartbeat_age_s: ageMs === null ? null : Math.round(ageMs / 1000),
          dead: true,
          reason,
        });
      } else alive++;
    });
    out.push({
      name: q,
      states,
      depth: states.queued ?? 0,
      workers: alive,
      workers_dead: dead.length,
      stuck: stuckJobs.length,
      stuck_jobs: stuckJobs.slice(0, MAX_LISTED),
      dead_workers: dead.slice(0, MAX_LISTED),
    });
  }
  return out;
}

function checkErrors(replies: Reply[], what: string): void {
  for (const r of replies) {
    if (r instanceof Error) throw new Error(`${what}: Redis answered ${r.message}`);
  }
}
