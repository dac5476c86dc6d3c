import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HubAlerts } from "./alerts.ts";
import { apiRoutes } from "./api.ts";
import { Audit } from "./audit.ts";
import type { HubConfig } from "./config.ts";
import type { HubContext } from "./context.ts";
import { Deadlines } from "./deadlines.ts";
import { Fleet } from "./fleet.ts";
import { ingestRoutes } from "./ingest.ts";
import { Liveness } from "./liveness.ts";
import { pageRoutes } from "./page.ts";
import { Pings } from "./pings.ts";
import { sdRoutes } from "./sd.ts";
import { type HttpServer, hubHttpServer, type Logger } from "./shared.ts";
import { Shares } from "./shares.ts";
import { openStore } from "./store/index.ts";
import type { HubStore } from "./store/types.ts";
import { streamRoute } from "./stream.ts";

export const HUB_VERSION = "0.1.0";

export function jsonLogger(): Logger {
  const write = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    if (level === "debug" && !process.env.EDGEWATCH_DEBUG) return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

/** A secret from the config, else one generated once and kept (mode 600) in the state dir. */
function keep(dir: string, name: string, given: string | undefined, make: () => string): string {
  if (given) return given;
  const file = join(dir, name);
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const v = make();
  writeFileSync(file, `${v}\n`, { mode: 0o600 });
  return v;
}

/**
 * The hub: store, liveness (one deadline heap for devices and checks), alerts through the notify
 * outbox, and the HTTP routes of every part (ingest, pings, /sd and /metrics, the fleet API).
 */
export class HubKernel implements HubContext {
  store!: HubStore;
  alerts!: HubAlerts;
  liveness!: Liveness;
  pings!: Pings;
  fleet!: Fleet;
  audit!: Audit;
  shares!: Shares;
  http!: HttpServer;
  url = "";
  enrollKey = "";
  pingKey = "";
  readonly counters = { pushes: 0, samples: 0, rejected: {} as Record<string, number> };
  readonly deadlines: Deadlines;
  private readonly tokens = new Map<string, string>();
  private pruneTimer: NodeJS.Timeout | null = null;
  private stream: ReturnType<typeof streamRoute> | null = null;

  constructor(
    readonly config: HubConfig,
    readonly log: Logger = jsonLogger(),
  ) {
    this.deadlines = new Deadlines((key, now) => {
      const [kind, id] = [key.slice(0, 4), key.slice(4)];
      if (kind === "sil:") return this.fleet.changed(); // a silence started or ended
      const p = kind === "dev:" ? this.liveness.due(id, now) : this.pings.due(id, now);
      p.catch((err: Error) => this.log.error("deadline handler failed", { key, error: err.message }));
    });
  }

  async start(port?: number, host?: string): Promise<string> {
    const c = this.config;
    mkdirSync(c.state_dir, { recursive: true });
    this.enrollKey = keep(
      c.state_dir,
      "enroll_key",
      c.enroll_key,
      () => `ewe_${randomBytes(24).toString("base64url")}`,
    );
    this.pingKey = keep(c.state_dir, "ping_key", c.ping_key, () =>
      randomBytes(16)
        .toString("base64url")
        .replace(/[^A-Za-z0-9]/g, "x"),
    );
    this.store = await openStore(c);
    this.alerts = new HubAlerts(c, this.store, this.log);
    await this.alerts.start();
    this.liveness = new Liveness(c, this.store, this.alerts, this.deadlines, this.log);
    await this.liveness.load();
    for (const l of this.liveness.devices.values()) this.tokens.set(l.row.token_hash, l.row.id);
    this.pings = new Pings(this);
    await this.pings.load();
    this.fleet = new Fleet(this);
    await this.fleet.load();
    this.liveness.onChange = (ids) => this.fleet.changed(ids);
    this.pings.onChange = (check) => {
      if (check.device) this.fleet.changed([check.device]);
    };
    this.audit = new Audit(c.state_dir, this.log);
    await this.audit.load();
    this.shares = new Shares(this);
    await this.shares.load();
    await this.silencesChanged();
    this.stream = streamRoute(this);
    this.http = hubHttpServer(
      c,
      [
        ...ingestRoutes(this),
        ...this.pings.routes(),
        ...sdRoutes(this),
        this.stream.route,
        ...apiRoutes(this),
        ...pageRoutes(this),
      ],
      this.log,
    );
    this.url = await this.http.listen(port ?? c.http.port, host ?? c.http.bind);
    const prune = () => {
      this.store.prune(Date.now()).catch((err: Error) => this.log.warn("prune failed", { error: err.message }));
      this.pruneTimer = setTimeout(prune, 3_600_000);
      this.pruneTimer.unref();
    };
    prune();
    this.log.info("hub listening", { url: this.url, store: this.store.kind, devices: this.liveness.devices.size });
    return this.url;
  }

  async stop(): Promise<void> {
    if (this.pruneTimer) clearTimeout(this.pruneTimer);
    this.deadlines.stop();
    this.stream?.close();
    await this.audit?.flush();
    await this.http?.close();
    this.alerts?.stop();
    await this.store?.close();
  }

  byToken(hash: string): string | undefined {
    return this.tokens.get(hash);
  }

  /** A token this replica has not seen: another replica sharing the store may have enrolled it. */
  async tokenFromStore(hash: string): Promise<string | undefined> {
    if (this.store.kind !== "postgres") return undefined;
    const row = await this.store.deviceByTokenHash(hash);
    if (!row) return undefined;
    await this.deviceChanged(row.id, Date.now(), false);
    return row.id;
  }

  /** A device was enrolled or pushed: refresh the caches from the store. */
  async deviceChanged(id: string, now: number, pushed: boolean): Promise<void> {
    const row = await this.store.getDevice(id);
    if (!row) return;
    this.tokens.set(row.token_hash, id);
    if (pushed) await this.liveness.pushed(row, now);
    else if (!this.liveness.devices.has(id)) this.liveness.devices.set(id, { row, alert: null, held: false });
    this.fleet.changed([id]);
  }

  /** Silences were added or removed: reload them and wake the fleet view at each start and end ahead. */
  async silencesChanged(): Promise<void> {
    await this.alerts.reloadSilences();
    for (const e of this.alerts.edges(Date.now())) this.deadlines.set(`sil:${e.id}`, e.at);
    this.fleet.changed();
  }

  async removeDevice(id: string): Promise<boolean> {
    const live = this.liveness.devices.get(id);
    if (live) this.tokens.delete(live.row.token_hash);
    await this.liveness.forget(id);
    const removed = await this.store.deleteDevice(id);
    this.fleet.removed(id);
    return removed;
  }
}

export async function startHub(config: HubConfig, opts: { port?: number; host?: string; log?: Logger } = {}) {
  const k = new HubKernel(config, opts.log);
  try {
    await k.start(opts.port, opts.host);
  } catch (err) {
    await k.stop().catch(() => {});
    throw err;
  }
  return k;
}
