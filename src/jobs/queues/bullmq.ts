import { asArray, asNumber, asString, type RedisReader, type Reply } from "../../lib/redis.ts";
import { MAX_INSPECTED, MAX_LISTED, type QueueReadOptions, type QueueSnapshot, type StuckJob } from "./types.ts";

/** BullMQ's per-queue keys: [our state name, key suffix, Redis type]. */
const KEYS: [state: string, suffix: string, type: "list" | "zset" | "set"][] = [
  ["wait", "wait", "list"],
  ["active", "active", "list"],
  ["completed", "completed", "zset"],
  ["failed", "failed", "zset"],
  ["delayed", "delayed", "zset"],
  ["prioritized", "prioritized", "zset"],
  ["paused", "paused", "list"],
  ["waiting-children", "waiting-children", "zset"],
];

const COUNT = { list: "LLEN", zset: "ZCARD", set: "SCARD" } as const;

/**
 * Reads BullMQ's keys (read-only: LLEN, ZCARD, LRANGE, EXISTS, HMGET, CLIENT LIST).
 *
 * Stalled: an active job whose lock (`<prefix>:<q>:<id>:lock`, renewed by a live worker) is gone —
 * its worker died; BullMQ itself would move it back to wait on its next stalled check. With
 * stuck_after, an active job processing for longer than that is reported too.
 * Workers: BullMQ workers name their connections `<prefix>:<base64(queue)>[:w:<name>]`; live workers
 * are the connections CLIENT LIST shows with that name (BullMQ has no heartbeat key).
 */
export async function readBullmq(
  r: RedisReader,
  names: string[],
  prefix: string,
  o: QueueReadOptions,
): Promise<QueueSnapshot[]> {
  const [clients] = await r.pipeline([["CLIENT", "LIST"]]);
  const clientNames =
    typeof clients === "string"
      ? clients
          .split("\n")
          .map((l) => /(?:^| )name=(\S*)/.exec(l)?.[1] ?? "")
          .filter(Boolean)
      : []; // CLIENT LIST refused (managed Redis): workers unknown, counted as 0
  const out: QueueSnapshot[] = [];
  for (const q of names) {
    const k = (s: string) => `${prefix}:${q}:${s}`;
    const round1 = await r.pipeline([
      ...KEYS.map(([, suffix, type]) => [COUNT[type], k(suffix)]),
      ["LRANGE", k("active"), "0", String(MAX_INSPECTED - 1)],
    ]);
    for (const x of round1) if (x instanceof Error) throw new Error(`BullMQ queue ${q}: Redis answered ${x.message}`);
    const states: Record<string, number> = {};
    KEYS.forEach(([s], i) => {
      states[s] = asNumber(round1[i]);
    });
    const active = asArray(round1[KEYS.length]).map((x) => String(x));
    const round2 = await r.pipeline(
      active.flatMap((id) => [
        ["EXISTS", k(`${id}:lock`)],
        ["HMGET", k(id), "name", "processedOn", "timestamp"],
      ]),
    );
    const stuck: StuckJob[] = [];
    active.forEach((id, i) => {
      const locked = asNumber(round2[2 * i] as Reply) === 1;
      const [name, processedOn] = asArray(round2[2 * i + 1] as Reply).map(asString) as (string | null)[];
      const startedMs = processedOn ? Number(processedOn) : null;
      const ageMs = startedMs === null || Number.isNaN(startedMs) ? null : o.now - startedMs;
      let reason: string | null = null;
      if (!locked) reason = "stalled: its lock expired (the worker holding it stopped)";
      else if (o.stuckAfterMs !== undefined && ageMs !== null && ageMs > o.stuckAfterMs) {
        reason = `active for ${Math.round(ageMs / 1000)} s, over stuck_after ${Math.round(o.stuckAfterMs / 1000)} s`;
      }
      if (reason) {
        stuck.push({
          id,
          description: name ?? null,
          started_at: ageMs === null ? null : new Date(startedMs as number).toISOString(),
          age_s: ageMs === null ? null : Math.round(ageMs / 1000),
          timeout_s: null,
          reason,
        });
      }
    });
    states.stalled = stuck.filter((s) => s.reason.startsWith("stalled")).length;
    const worker = `${prefix}:${Buffer.from(q).toString("base64")}`;
    const workers = clientNames.filter((n) => n === worker || n.startsWith(`${worker}:w:`)).length;
    out.push({
      name: q,
      states,
      depth: (states.wait ?? 0) + (states.prioritized ?? 0),
      workers,
      workers_dead: 0,
      stuck: stuck.length,
      stuck_jobs: stuck.slice(0, MAX_LISTED),
      dead_workers: [],
    });
  }
  return out;
}
