// The fleet page's tables, one implementation for both stores: portable SQL with `$n` parameters
// (each used once, in order), run by a tiny executor each store provides.

type Row = Record<string, unknown>;

/** What a store gives the fleet tables: run a statement (changed rows) or read rows. */
export interface Exec {
  all(sql: string, params: unknown[]): Promise<Row[]>;
  run(sql: string, params: unknown[]): Promise<number>;
}

export const FLEET_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS device_data (device TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, t BIGINT NOT NULL,
    PRIMARY KEY (device, key))`,
  `CREATE TABLE IF NOT EXISTS commands (id TEXT PRIMARY KEY, device TEXT NOT NULL, action TEXT NOT NULL, args TEXT NOT NULL,
    state TEXT NOT NULL, created_at BIGINT NOT NULL, sent_at BIGINT, finished_at BIGINT, output TEXT, by_actor TEXT NOT NULL)`,
  "CREATE INDEX IF NOT EXISTS commands_device ON commands (device, created_at)",
  `CREATE TABLE IF NOT EXISTS shares (id TEXT PRIMARY KEY, label TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL, expires_at BIGINT)`,
];

/** One device datum (the stores also run it inside a push's transaction, for PushBatch.data). */
export const PUT_DATA =
  "INSERT INTO device_data (device, key, value, t) VALUES ($1, $2, $3, $4) ON CONFLICT (device, key) DO UPDATE SET value = excluded.value, t = excluded.t";

/** Columns added to tables of earlier versions; "already there" is not an error. */
export const MIGRATIONS = [
  "ALTER TABLE silences ADD COLUMN created_at BIGINT",
  "ALTER TABLE checks ADD COLUMN device TEXT",
];
export const alreadyThere = (err: unknown) => /duplicate column|already exists/i.test(String((err as Error).message));

export interface CommandRow {
  id: string;
  device: string;
  action: string;
  args: Record<string, unknown>;
  state: "queued" | "sent" | "done" | "failed";
  created_at: number;
  sent_at: number | null;
  finished_at: number | null;
  output: string | null;
  by: string;
}

export interface ShareRow {
  id: string;
  label: string;
  token_hash: string;
  created_at: number;
  expires_at: number | null;
}

export interface DeviceData {
  device: string;
  value: string;
  t: number;
}

const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));

const commandFromRow = (r: Row): CommandRow => ({
  id: String(r.id),
  device: String(r.device),
  action: String(r.action),
  args: JSON.parse(String(r.args)) as Record<string, unknown>,
  state: String(r.state) as CommandRow["state"],
  created_at: Number(r.created_at),
  sent_at: n(r.sent_at),
  finished_at: n(r.finished_at),
  output: (r.output as string | null) ?? null,
  by: String(r.by_actor),
});

const shareFromRow = (r: Row): ShareRow => ({
  id: String(r.id),
  label: String(r.label),
  token_hash: String(r.token_hash),
  created_at: Number(r.created_at),
  expires_at: n(r.expires_at),
});

/**
 * Per-device derived data (summary, firing device alerts, thumbnail), the control relay's command
 * queue and the read-only share tokens. test/hub/store.contract.ts runs it on SQLite and PostgreSQL.
 */
export class FleetTables {
  /** Devices that may have queued or sent commands; null when another hub may queue some (shared store). */
  private open: Set<string> | null = null;
  /** Bumped at every queued command, so a look that raced a new command does not settle the device. */
  private generation = 0;

  constructor(private readonly x: Exec) {}

  /**
   * A store only this hub writes (SQLite) keeps in memory which devices have open commands, so a
   * push of a device with none costs no query; a shared store (PostgreSQL replicas) is always asked.
   */
  async init(shared: boolean): Promise<void> {
    if (shared) return;
    const rows = await this.x.all("SELECT DISTINCT device FROM commands WHERE state IN ('queued', 'sent')", []);
    this.open = new Set(rows.map((r) => String(r.device)));
  }

  /** Whether the device may have open commands, and the generation to hand to `settled`. */
  mayHaveOpen(device: string): { open: boolean; generation: number } {
    return { open: this.open === null || this.open.has(device), generation: this.generation };
  }

  /** The device had no queued or sent command left when looked at (unless one was queued since). */
  settled(device: string, generation: number): void {
    if (generation === this.generation) this.open?.delete(device);
  }

  async putData(device: string, key: string, value: string, t: number): Promise<void> {
    await this.x.run(PUT_DATA, [device, key, value, t]);
  }

  async getData(device: string, key: string): Promise<DeviceData | null> {
    const [r] = await this.x.all("SELECT device, value, t FROM device_data WHERE device = $1 AND key = $2", [
      device,
      key,
    ]);
    return r ? { device: String(r.device), value: String(r.value), t: Number(r.t) } : null;
  }

  /** Every device's value of one key (`withValue: false` reads only the times, e.g. of thumbnails). */
  async allData(key: string, withValue = true): Promise<DeviceData[]> {
    const rows = await this.x.all(
      `SELECT device, ${withValue ? "value" : "'' AS value"}, t FROM device_data WHERE key = $1`,
      [key],
    );
    return rows.map((r) => ({ device: String(r.device), value: String(r.value), t: Number(r.t) }));
  }

  async putCommand(c: CommandRow): Promise<void> {
    if (c.state === "queued") this.generation++;
    if (c.state === "queued" || c.state === "sent") this.open?.add(c.device);
    await this.x.run(
      `INSERT INTO commands (id, device, action, args, state, created_at, sent_at, finished_at, output, by_actor)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO UPDATE SET state = excluded.state,
       sent_at = excluded.sent_at, finished_at = excluded.finished_at, output = excluded.output`,
      [
        c.id,
        c.device,
        c.action,
        JSON.stringify(c.args),
        c.state,
        c.created_at,
        c.sent_at,
        c.finished_at,
        c.output,
        c.by,
      ],
    );
  }

  async getCommand(id: string): Promise<CommandRow | null> {
    const [r] = await this.x.all("SELECT * FROM commands WHERE id = $1", [id]);
    return r ? commandFromRow(r) : null;
  }

  /** A device's commands, newest first; with `state`, only those (the relay reads "queued"). */
  async commands(device: string, opts: { state?: CommandRow["state"]; limit: number }): Promise<CommandRow[]> {
    const rows = opts.state
      ? await this.x.all("SELECT * FROM commands WHERE device = $1 AND state = $2 ORDER BY created_at DESC LIMIT $3", [
          device,
          opts.state,
          opts.limit,
        ])
      : await this.x.all("SELECT * FROM commands WHERE device = $1 ORDER BY created_at DESC LIMIT $2", [
          device,
          opts.limit,
        ]);
    return rows.map(commandFromRow);
  }

  async putShare(s: ShareRow): Promise<void> {
    await this.x.run("INSERT INTO shares (id, label, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)", [
      s.id,
      s.label,
      s.token_hash,
      s.created_at,
      s.expires_at,
    ]);
  }

  async listShares(): Promise<ShareRow[]> {
    return (await this.x.all("SELECT * FROM shares ORDER BY created_at", [])).map(shareFromRow);
  }

  async deleteShare(id: string): Promise<boolean> {
    return (await this.x.run("DELETE FROM shares WHERE id = $1", [id])) === 1;
  }

  /** A removed device's data and commands go with it. */
  async forget(device: string): Promise<void> {
    await this.x.run("DELETE FROM device_data WHERE device = $1", [device]);
    await this.x.run("DELETE FROM commands WHERE device = $1", [device]);
    this.open?.delete(device);
  }
}
