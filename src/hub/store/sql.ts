import type { JsonObject } from "../../protocol/json.ts";
import type { AlertRow, CheckRow, DeviceRow, EventRow, HistoryPoint, SilenceRow } from "./types.ts";

/** Schema shared by both stores (portable SQL: SQLite and PostgreSQL read it the same way). */
export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY, site TEXT NOT NULL, tags TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE, enrolled_at BIGINT NOT NULL, last_seen BIGINT, interval_ms BIGINT NOT NULL,
    boot_id TEXT, last_seq BIGINT NOT NULL DEFAULT 0, status TEXT, exposition TEXT, clock_offset_ms BIGINT,
    clock_ahead INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL, state_since BIGINT NOT NULL, pushes BIGINT NOT NULL DEFAULT 0)`,
  `CREATE TABLE IF NOT EXISTS batches (device TEXT NOT NULL, boot_id TEXT NOT NULL, seq BIGINT NOT NULL,
    received BIGINT NOT NULL, samples INTEGER NOT NULL, PRIMARY KEY (device, boot_id, seq))`,
  `CREATE TABLE IF NOT EXISTS rollups (device TEXT NOT NULL, step BIGINT NOT NULL, bucket BIGINT NOT NULL, key TEXT NOT NULL,
    n INTEGER NOT NULL, sum DOUBLE PRECISION NOT NULL, min DOUBLE PRECISION NOT NULL, max DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (device, step, bucket, key))`,
  `CREATE TABLE IF NOT EXISTS events (device TEXT NOT NULL, kind TEXT NOT NULL, t BIGINT NOT NULL, level TEXT NOT NULL,
    source TEXT NOT NULL, message TEXT NOT NULL)`,
  "CREATE INDEX IF NOT EXISTS events_t ON events (t)",
  `CREATE TABLE IF NOT EXISTS alerts (id TEXT PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL, site TEXT NOT NULL,
    state TEXT NOT NULL, since BIGINT NOT NULL, resolved_at BIGINT, summary TEXT NOT NULL, notified INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS checks (uuid TEXT PRIMARY KEY, slug TEXT, name TEXT NOT NULL, period_ms BIGINT NOT NULL,
    grace_ms BIGINT NOT NULL, schedule TEXT, state TEXT NOT NULL, last_ping BIGINT, started_at BIGINT, start_rid TEXT,
    last_exit INTEGER, last_body TEXT, pings BIGINT NOT NULL, created BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS silences (id TEXT PRIMARY KEY, device TEXT, site TEXT, tag TEXT, starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL, comment TEXT NOT NULL)`,
];

type Row = Record<string, unknown>;
const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function deviceFromRow(r: Row): DeviceRow {
  return {
    id: String(r.id),
    site: String(r.site),
    tags: JSON.parse(String(r.tags)) as string[],
    token_hash: String(r.token_hash),
    enrolled_at: num(r.enrolled_at),
    last_seen: numOrNull(r.last_seen),
    interval_ms: num(r.interval_ms),
    boot_id: (r.boot_id as string | null) ?? null,
    last_seq: num(r.last_seq),
    boots: {},
    status: r.status ? (JSON.parse(String(r.status)) as JsonObject) : null,
    exposition: (r.exposition as string | null) ?? null,
    clock_offset_ms: numOrNull(r.clock_offset_ms),
    clock_ahead: num(r.clock_ahead) === 1,
    state: String(r.state) as DeviceRow["state"],
    state_since: num(r.state_since),
    pushes: num(r.pushes),
  };
}

export const eventFromRow = (r: Row): EventRow => ({
  device: String(r.device),
  kind: String(r.kind) as EventRow["kind"],
  t: num(r.t),
  level: String(r.level),
  source: String(r.source),
  message: String(r.message),
});

export const alertFromRow = (r: Row): AlertRow => ({
  id: String(r.id),
  kind: String(r.kind) as AlertRow["kind"],
  subject: String(r.subject),
  site: String(r.site),
  state: String(r.state) as AlertRow["state"],
  since: num(r.since),
  resolved_at: numOrNull(r.resolved_at),
  summary: String(r.summary),
  notified: num(r.notified) === 1,
});

export const checkFromRow = (r: Row): CheckRow => ({
  uuid: String(r.uuid),
  slug: (r.slug as string | null) ?? null,
  name: String(r.name),
  period_ms: num(r.period_ms),
  grace_ms: num(r.grace_ms),
  schedule: (r.schedule as string | null) ?? null,
  state: String(r.state) as CheckRow["state"],
  last_ping: numOrNull(r.last_ping),
  started_at: numOrNull(r.started_at),
  start_rid: (r.start_rid as string | null) ?? null,
  last_exit: numOrNull(r.last_exit),
  last_body: (r.last_body as string | null) ?? null,
  pings: num(r.pings),
  created: num(r.created),
  device: (r.device as string | null) ?? null,
});

/** A check's columns in the order both stores' upserts bind them. */
export const checkParams = (c: CheckRow) => [
  c.uuid,
  c.slug,
  c.name,
  c.period_ms,
  c.grace_ms,
  c.schedule,
  c.state,
  c.last_ping,
  c.started_at,
  c.start_rid,
  c.last_exit,
  c.last_body,
  c.pings,
  c.created,
  c.device,
];

export const silenceFromRow = (r: Row): SilenceRow => ({
  id: String(r.id),
  device: (r.device as string | null) ?? null,
  site: (r.site as string | null) ?? null,
  tag: (r.tag as string | null) ?? null,
  starts_at: num(r.starts_at),
  ends_at: num(r.ends_at),
  comment: String(r.comment),
  created_at: numOrNull(r.created_at),
});

/** Rollup rows (bucket, key, n, sum, min, max) → points of width `step` (re-bucketed when wider than the tier). */
export function toPoints(rows: Row[], step: number): HistoryPoint[] {
  const out = new Map<number, Map<string, { n: number; sum: number; min: number; max: number }>>();
  for (const r of rows) {
    const b = Math.floor(num(r.bucket) / step) * step;
    let keys = out.get(b);
    if (!keys) {
      keys = new Map();
      out.set(b, keys);
    }
    const k = String(r.key);
    const cur = keys.get(k);
    const n = num(r.n);
    const sum = num(r.sum);
    if (!cur) keys.set(k, { n, sum, min: num(r.min), max: num(r.max) });
    else {
      cur.n += n;
      cur.sum += sum;
      cur.min = Math.min(cur.min, num(r.min));
      cur.max = Math.max(cur.max, num(r.max));
    }
  }
  return [...out.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, keys]) => ({
      t,
      values: Object.fromEntries(
        [...keys].map(([k, a]) => [k, { avg: Math.round((a.sum / a.n) * 1e4) / 1e4, min: a.min, max: a.max }]),
      ),
    }));
}
