import { alreadyThere, FLEET_SCHEMA, FleetTables, MIGRATIONS, PUT_DATA } from "./fleet.ts";
import {
  alertFromRow,
  checkFromRow,
  checkParams,
  deviceFromRow,
  eventFromRow,
  SCHEMA,
  silenceFromRow,
  toPoints,
} from "./sql.ts";
import type { AlertRow, CheckRow, EventRow, HubStore, PushBatch, SilenceRow, StoreStats, Tier } from "./types.ts";
import { bucketOf, pickTier } from "./types.ts";

type Row = Record<string, unknown>;
interface Sql {
  unsafe(q: string, params?: unknown[]): Promise<Row[] & { count: number }>;
  begin<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  end(o?: { timeout?: number }): Promise<void>;
}

// Loaded only when the config chooses PostgreSQL, and never bundled into the agent.
const MODULE = "postgres";

/**
 * The scale-out store: several hub replicas share one PostgreSQL (pure-JS `postgres` client). Each push
 * is one transaction; the device row is locked (FOR UPDATE) so replays are refused across replicas.
 */
export class PostgresStore implements HubStore {
  readonly kind = "postgres";
  readonly stats: StoreStats = { batches: 0, commits: 0, samples: 0 };
  private sql!: Sql;
  fleet!: FleetTables;

  constructor(
    private readonly url: string,
    private readonly tiers: Tier[],
  ) {}

  async init(): Promise<void> {
    let postgres: (url: string, o: object) => Sql;
    try {
      postgres = ((await import(MODULE)) as { default: typeof postgres }).default;
    } catch (err) {
      throw new Error(
        `the PostgreSQL store needs the optional dependency postgres (npm install postgres): ${(err as Error).message}`,
      );
    }
    this.sql = postgres(this.url, {
      max: 10,
      onnotice: () => {},
      types: { bigint: { to: 20, from: [20], serialize: String, parse: Number } },
    });
    for (const q of [...SCHEMA, ...FLEET_SCHEMA]) await this.sql.unsafe(q);
    for (const q of MIGRATIONS)
      await this.sql.unsafe(q.replace("ADD COLUMN", "ADD COLUMN IF NOT EXISTS")).catch((err) => {
        if (!alreadyThere(err)) throw err;
      });
    this.fleet = new FleetTables({
      all: (q, params) => this.q(q, params),
      run: async (q, params) => (await this.q(q, params)).count,
    });
    await this.fleet.init(true);
  }

  async close(): Promise<void> {
    await this.sql?.end({ timeout: 5 });
  }

  private q(text: string, params: unknown[] = [], tx: Sql = this.sql) {
    return tx.unsafe(text, params);
  }

  async enroll(d: Parameters<HubStore["enroll"]>[0]) {
    const r = await this.q(
      "INSERT INTO devices (id, site, tags, token_hash, enrolled_at, interval_ms, state, state_since) VALUES ($1, $2, $3, $4, $5, $6, 'new', $5) ON CONFLICT (id) DO NOTHING",
      [d.id, d.site, JSON.stringify(d.tags), d.token_hash, d.now, d.interval_ms],
    );
    return r.count === 1 ? ("created" as const) : ("exists" as const);
  }

  async deviceByTokenHash(hash: string) {
    const [r] = await this.q("SELECT * FROM devices WHERE token_hash = $1", [hash]);
    return r ? deviceFromRow(r) : null;
  }

  async getDevice(id: string) {
    const [r] = await this.q("SELECT * FROM devices WHERE id = $1", [id]);
    return r ? deviceFromRow(r) : null;
  }

  async listDevices() {
    return (await this.q("SELECT * FROM devices ORDER BY site, id")).map(deviceFromRow);
  }

  async deleteDevice(id: string) {
    await this.fleet.forget(id);
    return (await this.q("DELETE FROM devices WHERE id = $1", [id])).count === 1;
  }

  async ingest(b: PushBatch): Promise<"stored" | "replay"> {
    const r = await this.sql.begin(async (tx) => {
      const [d] = await this.q("SELECT boot_id, last_seq FROM devices WHERE id = $1 FOR UPDATE", [b.device], tx);
      if (!d) throw new Error(`device ${b.device} is not enrolled`);
      if (d.boot_id === b.boot_id && b.seq <= Number(d.last_seq)) return "replay" as const;
      const seen = await this.q(
        "SELECT 1 FROM batches WHERE device = $1 AND boot_id = $2 AND seq = $3",
        [b.device, b.boot_id, b.seq],
        tx,
      );
      if (seen.length > 0) return "replay" as const;
      await this.q(
        "INSERT INTO batches (device, boot_id, seq, received, samples) VALUES ($1, $2, $3, $4, $5)",
        [b.device, b.boot_id, b.seq, b.received, b.samples.length],
        tx,
      );
      await this.q(
        "UPDATE devices SET last_seen = $1, interval_ms = $2, boot_id = $3, last_seq = $4, status = COALESCE($5, status), exposition = COALESCE($6, exposition), clock_offset_ms = $7, clock_ahead = $8, pushes = pushes + 1 WHERE id = $9",
        [
          b.received,
          b.interval_ms,
          b.boot_id,
          b.seq,
          b.status ? JSON.stringify(b.status) : null,
          b.exposition,
          b.clock_offset_ms,
          b.clock_ahead ? 1 : 0,
          b.device,
        ],
        tx,
      );
      // One multi-row upsert per tier (a batch's samples can share buckets: pre-aggregate them here).
      for (const tier of this.tiers) {
        const acc = new Map<
          string,
          { bucket: number; key: string; n: number; sum: number; min: number; max: number }
        >();
        for (const s of b.samples) {
          const bucket = bucketOf(s.t, tier.step);
          for (const [key, v] of Object.entries(s.v)) {
            const id = `${bucket}\t${key}`;
            const a = acc.get(id);
            if (!a) acc.set(id, { bucket, key, n: 1, sum: v, min: v, max: v });
            else Object.assign(a, { n: a.n + 1, sum: a.sum + v, min: Math.min(a.min, v), max: Math.max(a.max, v) });
          }
        }
        if (acc.size === 0) continue;
        const rows = [...acc.values()];
        const params: unknown[] = [];
        const values = rows.map((a, i) => {
          params.push(b.device, tier.step, a.bucket, a.key, a.n, a.sum, a.min, a.max);
          const o = i * 8;
          return `($${o + 1}, $${o + 2}, $${o + 3}, $${o + 4}, $${o + 5}, $${o + 6}, $${o + 7}, $${o + 8})`;
        });
        await this.q(
          `INSERT INTO rollups (device, step, bucket, key, n, sum, min, max) VALUES ${values.join(", ")} ON CONFLICT (device, step, bucket, key) DO UPDATE SET n = rollups.n + excluded.n, sum = rollups.sum + excluded.sum, min = LEAST(rollups.min, excluded.min), max = GREATEST(rollups.max, excluded.max)`,
          params,
          tx,
        );
      }
      for (const e of b.events) {
        await this.q(
          "INSERT INTO events (device, kind, t, level, source, message) VALUES ($1, 'device', $2, $3, $4, $5)",
          [b.device, e.t, e.level, e.source, e.message],
          tx,
        );
      }
      for (const [key, value] of Object.entries(b.data ?? {}))
        await this.q(PUT_DATA, [b.device, key, value, b.received], tx);
      return "stored" as const;
    });
    this.stats.commits++;
    if (r === "stored") {
      this.stats.batches++;
      this.stats.samples += b.samples.length;
    }
    return r;
  }

  async setDeviceState(id: string, state: string, since: number) {
    await this.q("UPDATE devices SET state = $1, state_since = $2 WHERE id = $3", [state, since, id]);
  }

  async history(device: string, from: number, to: number, step: number) {
    const tier = pickTier(this.tiers, Date.now(), from, step);
    const rows = await this.q(
      "SELECT bucket, key, n, sum, min, max FROM rollups WHERE device = $1 AND step = $2 AND bucket >= $3 AND bucket <= $4 ORDER BY bucket",
      [device, tier.step, bucketOf(from, tier.step), to],
    );
    return toPoints(rows, Math.max(step, tier.step));
  }

  async addEvent(e: EventRow) {
    await this.q("INSERT INTO events (device, kind, t, level, source, message) VALUES ($1, $2, $3, $4, $5, $6)", [
      e.device,
      e.kind,
      e.t,
      e.level,
      e.source,
      e.message,
    ]);
  }

  async events(opts: { device?: string; limit: number }) {
    const rows = opts.device
      ? await this.q("SELECT * FROM events WHERE device = $1 ORDER BY t DESC LIMIT $2", [opts.device, opts.limit])
      : await this.q("SELECT * FROM events ORDER BY t DESC LIMIT $1", [opts.limit]);
    return rows.map(eventFromRow);
  }

  async putAlert(a: AlertRow) {
    await this.q(
      "INSERT INTO alerts (id, kind, subject, site, state, since, resolved_at, summary, notified) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO UPDATE SET state = excluded.state, resolved_at = excluded.resolved_at, summary = excluded.summary, notified = excluded.notified",
      [a.id, a.kind, a.subject, a.site, a.state, a.since, a.resolved_at, a.summary, a.notified ? 1 : 0],
    );
  }

  async alerts(opts: { state?: "firing" | "resolved"; limit: number }) {
    const rows = opts.state
      ? await this.q("SELECT * FROM alerts WHERE state = $1 ORDER BY since DESC LIMIT $2", [opts.state, opts.limit])
      : await this.q("SELECT * FROM alerts ORDER BY since DESC LIMIT $1", [opts.limit]);
    return rows.map(alertFromRow);
  }

  async putCheck(c: CheckRow) {
    await this.q(
      `INSERT INTO checks (uuid, slug, name, period_ms, grace_ms, schedule, state, last_ping, started_at, start_rid, last_exit, last_body, pings, created, device)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (uuid) DO UPDATE SET slug = excluded.slug, name = excluded.name, device = excluded.device,
       period_ms = excluded.period_ms, grace_ms = excluded.grace_ms, schedule = excluded.schedule, state = excluded.state, last_ping = excluded.last_ping,
       started_at = excluded.started_at, start_rid = excluded.start_rid, last_exit = excluded.last_exit, last_body = excluded.last_body, pings = excluded.pings`,
      checkParams(c),
    );
  }

  async getCheck(uuid: string) {
    const [r] = await this.q("SELECT * FROM checks WHERE uuid = $1", [uuid]);
    return r ? checkFromRow(r) : null;
  }

  async checksBySlug(slug: string) {
    return (await this.q("SELECT * FROM checks WHERE slug = $1", [slug])).map(checkFromRow);
  }

  async listChecks() {
    return (await this.q("SELECT * FROM checks ORDER BY created")).map(checkFromRow);
  }

  async deleteCheck(uuid: string) {
    return (await this.q("DELETE FROM checks WHERE uuid = $1", [uuid])).count === 1;
  }

  async putSilence(x: SilenceRow) {
    await this.q(
      "INSERT INTO silences (id, device, site, tag, starts_at, ends_at, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET ends_at = excluded.ends_at, comment = excluded.comment",
      [x.id, x.device, x.site, x.tag, x.starts_at, x.ends_at, x.comment, x.created_at],
    );
  }

  async listSilences() {
    return (await this.q("SELECT * FROM silences ORDER BY starts_at")).map(silenceFromRow);
  }

  async deleteSilence(id: string) {
    return (await this.q("DELETE FROM silences WHERE id = $1", [id])).count === 1;
  }

  async prune(now: number) {
    let n = 0;
    for (const t of this.tiers)
      n += (await this.q("DELETE FROM rollups WHERE step = $1 AND bucket < $2", [t.step, now - t.keep])).count;
    n += (await this.q("DELETE FROM batches WHERE received < $1", [now - Math.min(...this.tiers.map((t) => t.keep))]))
      .count;
    n += (await this.q("DELETE FROM events WHERE t < $1", [now - Math.max(...this.tiers.map((t) => t.keep))])).count;
    return n;
  }
}
