import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
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

interface Stmt {
  run(...a: unknown[]): { changes: number };
  get(...a: unknown[]): Record<string, unknown> | undefined;
  all(...a: unknown[]): Record<string, unknown>[];
}
interface Db {
  pragma(s: string): unknown;
  exec(s: string): void;
  prepare(s: string): Stmt;
  transaction<F extends (...a: never[]) => unknown>(fn: F): F;
  close(): void;
}

// Kept out of esbuild's reach on purpose: the agent's bundle must never contain the native addon.
const MODULE = "better-sqlite3";

/**
 * The default store: one SQLite file (better-sqlite3), WAL with synchronous=FULL. Pushes are group
 * committed: every push arriving within `commitMs` goes into one transaction, and each push's promise
 * resolves only after that COMMIT returned, so an acknowledged push survives a crash or power loss.
 */
export class SqliteStore implements HubStore {
  readonly kind = "sqlite";
  readonly stats: StoreStats = { batches: 0, commits: 0, samples: 0 };
  private db!: Db;
  private s!: Record<string, Stmt>;
  private queue: { b: PushBatch; resolve: (r: "stored" | "replay") => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | null = null;
  fleet!: FleetTables;

  constructor(
    private readonly file: string,
    private readonly tiers: Tier[],
    private readonly commitMs = 50,
  ) {}

  async init(): Promise<void> {
    let Database: new (f: string) => Db;
    try {
      Database = ((await import(MODULE)) as { default: new (f: string) => Db }).default;
    } catch (err) {
      throw new Error(
        `the SQLite store needs the optional dependency better-sqlite3 12.x (npm install better-sqlite3@12; it compiles with python3, make and g++ when no prebuilt binary fits): ${(err as Error).message}`,
      );
    }
    mkdirSync(dirname(this.file), { recursive: true });
    this.db = new Database(this.file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("busy_timeout = 5000");
    for (const q of [...SCHEMA, ...FLEET_SCHEMA]) this.db.exec(q);
    for (const q of MIGRATIONS) {
      try {
        this.db.exec(q);
      } catch (err) {
        if (!alreadyThere(err)) throw err;
      }
    }
    const cache = new Map<string, Stmt>();
    const stmt = (q: string) => {
      const st = cache.get(q) ?? this.db.prepare(q.replace(/\$\d+/g, "?"));
      cache.set(q, st);
      return st;
    };
    this.fleet = new FleetTables({
      all: async (q, params) => stmt(q).all(...params),
      run: async (q, params) => stmt(q).run(...params).changes,
    });
    await this.fleet.init(false);
    const p = (q: string) => this.db.prepare(q);
    this.s = {
      enroll: p(
        "INSERT INTO devices (id, site, tags, token_hash, enrolled_at, interval_ms, state, state_since) VALUES (?, ?, ?, ?, ?, ?, 'new', ?) ON CONFLICT(id) DO NOTHING",
      ),
      byToken: p("SELECT * FROM devices WHERE token_hash = ?"),
      byId: p("SELECT * FROM devices WHERE id = ?"),
      all: p("SELECT * FROM devices ORDER BY site, id"),
      del: p("DELETE FROM devices WHERE id = ?"),
      seen: p("SELECT 1 FROM batches WHERE device = ? AND boot_id = ? AND seq = ?"),
      batch: p("INSERT INTO batches (device, boot_id, seq, received, samples) VALUES (?, ?, ?, ?, ?)"),
      update: p(
        "UPDATE devices SET last_seen = ?, interval_ms = ?, boot_id = ?, last_seq = ?, status = COALESCE(?, status), exposition = COALESCE(?, exposition), clock_offset_ms = ?, clock_ahead = ?, pushes = pushes + 1 WHERE id = ?",
      ),
      rollup: p(
        "INSERT INTO rollups (device, step, bucket, key, n, sum, min, max) VALUES (?, ?, ?, ?, 1, ?, ?, ?) ON CONFLICT(device, step, bucket, key) DO UPDATE SET n = n + 1, sum = sum + excluded.sum, min = min(min, excluded.min), max = max(max, excluded.max)",
      ),
      data: p(PUT_DATA.replace(/\$\d+/g, "?")),
      event: p("INSERT INTO events (device, kind, t, level, source, message) VALUES (?, ?, ?, ?, ?, ?)"),
      state: p("UPDATE devices SET state = ?, state_since = ? WHERE id = ?"),
      history: p(
        "SELECT bucket, key, n, sum, min, max FROM rollups WHERE device = ? AND step = ? AND bucket >= ? AND bucket <= ? ORDER BY bucket",
      ),
      events: p("SELECT * FROM events ORDER BY t DESC LIMIT ?"),
      eventsOf: p("SELECT * FROM events WHERE device = ? ORDER BY t DESC LIMIT ?"),
      putAlert: p(
        "INSERT OR REPLACE INTO alerts (id, kind, subject, site, state, since, resolved_at, summary, notified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      alerts: p("SELECT * FROM alerts ORDER BY since DESC LIMIT ?"),
      alertsIn: p("SELECT * FROM alerts WHERE state = ? ORDER BY since DESC LIMIT ?"),
      putCheck: p(
        "INSERT OR REPLACE INTO checks (uuid, slug, name, period_ms, grace_ms, schedule, state, last_ping, started_at, start_rid, last_exit, last_body, pings, created, device) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      check: p("SELECT * FROM checks WHERE uuid = ?"),
      checksBySlug: p("SELECT * FROM checks WHERE slug = ?"),
      checks: p("SELECT * FROM checks ORDER BY created"),
      delCheck: p("DELETE FROM checks WHERE uuid = ?"),
      putSilence: p(
        "INSERT OR REPLACE INTO silences (id, device, site, tag, starts_at, ends_at, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      silences: p("SELECT * FROM silences ORDER BY starts_at"),
      delSilence: p("DELETE FROM silences WHERE id = ?"),
      pruneRollups: p("DELETE FROM rollups WHERE step = ? AND bucket < ?"),
      pruneBatches: p("DELETE FROM batches WHERE received < ?"),
      pruneEvents: p("DELETE FROM events WHERE t < ?"),
    };
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.flush();
    this.db?.close();
  }

  async enroll(d: Parameters<HubStore["enroll"]>[0]) {
    const r = this.s.enroll!.run(d.id, d.site, JSON.stringify(d.tags), d.token_hash, d.now, d.interval_ms, d.now);
    return r.changes === 1 ? ("created" as const) : ("exists" as const);
  }

  async deviceByTokenHash(hash: string) {
    const r = this.s.byToken!.get(hash);
    return r ? deviceFromRow(r) : null;
  }

  async getDevice(id: string) {
    const r = this.s.byId!.get(id);
    return r ? deviceFromRow(r) : null;
  }

  async listDevices() {
    return this.s.all!.all().map(deviceFromRow);
  }

  async deleteDevice(id: string) {
    await this.fleet.forget(id);
    return this.s.del!.run(id).changes === 1;
  }

  ingest(b: PushBatch): Promise<"stored" | "replay"> {
    return new Promise((resolve, reject) => {
      this.queue.push({ b, resolve, reject });
      this.timer ??= setTimeout(() => this.flush(), this.commitMs);
    });
  }

  /** One transaction for every queued push; each promise settles after the COMMIT. */
  private flush(): void {
    this.timer = null;
    const items = this.queue;
    this.queue = [];
    if (items.length === 0) return;
    const results: ("stored" | "replay")[] = [];
    try {
      this.db.transaction(() => {
        for (const { b } of items) results.push(this.apply(b));
      })();
    } catch (err) {
      for (const it of items) it.reject(err);
      return;
    }
    this.stats.commits++;
    for (const [i, it] of items.entries()) it.resolve(results[i] as "stored" | "replay");
  }

  private apply(b: PushBatch): "stored" | "replay" {
    const s = this.s;
    const d = s.byId!.get(b.device);
    if (!d) throw new Error(`device ${b.device} is not enrolled`);
    if (d.boot_id === b.boot_id && b.seq <= Number(d.last_seq)) return "replay";
    if (s.seen!.get(b.device, b.boot_id, b.seq)) return "replay";
    s.batch!.run(b.device, b.boot_id, b.seq, b.received, b.samples.length);
    s.update!.run(
      b.received,
      b.interval_ms,
      b.boot_id,
      b.seq,
      b.status ? JSON.stringify(b.status) : null,
      b.exposition,
      b.clock_offset_ms,
      b.clock_ahead ? 1 : 0,
      b.device,
    );
    for (const sample of b.samples) {
      for (const tier of this.tiers) {
        const bucket = bucketOf(sample.t, tier.step);
        for (const [k, v] of Object.entries(sample.v)) s.rollup!.run(b.device, tier.step, bucket, k, v, v, v);
      }
    }
    for (const e of b.events) s.event!.run(b.device, "device", e.t, e.level, e.source, e.message);
    for (const [key, value] of Object.entries(b.data ?? {})) s.data!.run(b.device, key, value, b.received);
    this.stats.batches++;
    this.stats.samples += b.samples.length;
    return "stored";
  }

  async setDeviceState(id: string, state: string, since: number) {
    this.s.state!.run(state, since, id);
  }

  async history(device: string, from: number, to: number, step: number) {
    const tier = pickTier(this.tiers, Date.now(), from, step);
    const rows = this.s.history!.all(device, tier.step, bucketOf(from, tier.step), to);
    return toPoints(rows, Math.max(step, tier.step));
  }

  async addEvent(e: EventRow) {
    this.s.event!.run(e.device, e.kind, e.t, e.level, e.source, e.message);
  }

  async events(opts: { device?: string; limit: number }) {
    const rows = opts.device ? this.s.eventsOf!.all(opts.device, opts.limit) : this.s.events!.all(opts.limit);
    return rows.map(eventFromRow);
  }

  async putAlert(a: AlertRow) {
    this.s.putAlert!.run(
      a.id,
      a.kind,
      a.subject,
      a.site,
      a.state,
      a.since,
      a.resolved_at,
      a.summary,
      a.notified ? 1 : 0,
    );
  }

  async alerts(opts: { state?: "firing" | "resolved"; limit: number }) {
    const rows = opts.state ? this.s.alertsIn!.all(opts.state, opts.limit) : this.s.alerts!.all(opts.limit);
    return rows.map(alertFromRow);
  }

  async putCheck(c: CheckRow) {
    this.s.putCheck!.run(...checkParams(c));
  }

  async getCheck(uuid: string) {
    const r = this.s.check!.get(uuid);
    return r ? checkFromRow(r) : null;
  }

  async checksBySlug(slug: string) {
    return this.s.checksBySlug!.all(slug).map(checkFromRow);
  }

  async listChecks() {
    return this.s.checks!.all().map(checkFromRow);
  }

  async deleteCheck(uuid: string) {
    return this.s.delCheck!.run(uuid).changes === 1;
  }

  async putSilence(x: SilenceRow) {
    this.s.putSilence!.run(x.id, x.device, x.site, x.tag, x.starts_at, x.ends_at, x.comment, x.created_at);
  }

  async listSilences() {
    return this.s.silences!.all().map(silenceFromRow);
  }

  async deleteSilence(id: string) {
    return this.s.delSilence!.run(id).changes === 1;
  }

  async prune(now: number) {
    let n = 0;
    for (const t of this.tiers) n += this.s.pruneRollups!.run(t.step, now - t.keep).changes;
    const longest = Math.max(...this.tiers.map((t) => t.keep));
    n += this.s.pruneBatches!.run(now - Math.min(...this.tiers.map((t) => t.keep))).changes;
    n += this.s.pruneEvents!.run(now - longest).changes;
    return n;
  }
}
