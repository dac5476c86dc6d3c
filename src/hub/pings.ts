import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type HubAlerts, human } from "./alerts.ts";
import type { HubConfig } from "./config.ts";
import { Cron } from "./cron.ts";
import type { Deadlines } from "./deadlines.ts";
import { type Route, sendBody } from "./shared.ts";
import type { AlertRow, CheckRow, HubStore } from "./store/types.ts";

export const PING_BODY_LIMIT = 10_000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SLUG_RE = /^[a-z0-9_-]+$/;
type Action = "success" | "start" | "fail" | "log";

/** Healthchecks-compatible answers: plain text, Ping-Body-Limit, CORS open. */
function answer(res: ServerResponse, status: number, text: string) {
  const headers: Record<string, string> = { "Access-Control-Allow-Origin": "*" };
  if (status < 300) headers["Ping-Body-Limit"] = String(PING_BODY_LIMIT);
  sendBody(res, status, text, "text/plain; charset=utf-8", headers);
}

/** What the checks need of the running hub (the kernel is one). */
export interface PingsHost {
  readonly config: HubConfig;
  readonly store: HubStore;
  readonly alerts: HubAlerts;
  readonly deadlines: Deadlines;
  readonly pingKey: string;
}

/**
 * Dead-man checks with the Healthchecks ping API: /ping/<uuid>[/start|/fail|/log|/<0-255>] and
 * /ping/<ping_key>/<slug>[...] (?create=1 creates it, rid pairs start and finish). A check is down when
 * its period (or cron schedule) plus grace passes without a ping, when a started run outlives its grace,
 * or at once on /fail or a non-zero exit code; that alerts once, naming the check.
 */
export class Pings {
  private checks = new Map<string, CheckRow>();
  private firing = new Map<string, AlertRow>();
  private crons = new Map<string, Cron>();
  /** Called after a check changed (saved or down): the fleet page shows a device's checks. */
  onChange: (c: CheckRow) => void = () => {};

  constructor(private readonly k: PingsHost) {}

  /** The firing alert of a check, if it is down. */
  firingOf(uuid: string): AlertRow | undefined {
    return this.firing.get(uuid);
  }

  async load(): Promise<void> {
    for (const c of await this.k.store.listChecks()) this.checks.set(c.uuid, c);
    for (const a of await this.k.store.alerts({ state: "firing", limit: 100_000 })) {
      if (a.kind === "check_down") this.firing.set(a.subject, a);
    }
    for (const def of this.k.config.checks) {
      const existing = [...this.checks.values()].find((c) => c.slug === def.slug);
      const c = existing ?? this.blank(def.slug);
      c.name = def.name ?? def.slug;
      c.period_ms = def.period;
      c.grace_ms = def.grace;
      c.schedule = def.schedule ?? null;
      await this.save(c);
    }
    for (const c of this.checks.values()) this.schedule(c);
  }

  blank(slug: string | null, name = slug ?? "check"): CheckRow {
    return {
      uuid: randomUUID(),
      slug,
      name,
      period_ms: 86_400_000,
      grace_ms: 3_600_000,
      schedule: null,
      state: "new",
      last_ping: null,
      started_at: null,
      start_rid: null,
      last_exit: null,
      last_body: null,
      pings: 0,
      created: Date.now(),
      device: null,
    };
  }

  list(): CheckRow[] {
    return [...this.checks.values()];
  }

  async save(c: CheckRow): Promise<void> {
    if (c.schedule) this.cron(c.schedule); // throws on a bad schedule before anything is stored
    await this.k.store.putCheck(c);
    this.checks.set(c.uuid, c);
    this.schedule(c);
    this.onChange(c);
  }

  async remove(uuid: string): Promise<boolean> {
    this.checks.delete(uuid);
    this.k.deadlines.clear(`chk:${uuid}`);
    return this.k.store.deleteCheck(uuid);
  }

  private cron(s: string): Cron {
    let c = this.crons.get(s);
    if (!c) {
      c = new Cron(s);
      this.crons.set(s, c);
    }
    return c;
  }

  private dueAt(c: CheckRow): number | null {
    if (c.state === "down" || c.last_ping === null)
      return c.state === "started" && c.started_at ? c.started_at + c.grace_ms : null;
    const next = c.schedule ? this.cron(c.schedule).next(c.last_ping) : c.last_ping + c.period_ms;
    const run = c.state === "started" && c.started_at ? c.started_at + c.grace_ms : Number.POSITIVE_INFINITY;
    return Math.min(next + c.grace_ms, run);
  }

  private schedule(c: CheckRow): void {
    const at = this.dueAt(c);
    if (at === null) this.k.deadlines.clear(`chk:${c.uuid}`);
    else this.k.deadlines.set(`chk:${c.uuid}`, at);
  }

  private chain: Promise<void> = Promise.resolve();

  /** Pings and deadlines of checks run one at a time (a ping racing its deadline must not alert twice). */
  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn);
    this.chain = next.catch(() => {});
    return next;
  }

  due(uuid: string, now: number): Promise<void> {
    return this.serial(() => this.dueNow(uuid, now));
  }

  private async dueNow(uuid: string, now: number): Promise<void> {
    const c = this.checks.get(uuid);
    if (!c || c.state === "down") return;
    const at = this.dueAt(c);
    if (at === null || at > now) return this.schedule(c);
    const why =
      c.state === "started" && c.started_at && c.started_at + c.grace_ms <= now
        ? `a run started ${human(now - c.started_at)} ago has not finished`
        : `no ping for ${human(now - (c.last_ping ?? c.created))}`;
    await this.down(c, now, why);
  }

  private async down(c: CheckRow, now: number, why: string): Promise<void> {
    c.state = "down";
    await this.k.store.putCheck(c);
    this.k.deadlines.clear(`chk:${c.uuid}`);
    if (this.firing.has(c.uuid)) return;
    const row = await this.k.alerts.fire(
      {
        id: `check_down:${c.uuid}:${now}`,
        kind: "check_down",
        subject: c.uuid,
        site: "checks",
        since: now,
        summary: `check ${c.name} is down: ${why}`,
      },
      "critical",
      { device: `check:${c.slug ?? c.uuid}`, site: "checks", tags: [] },
      now,
    );
    this.firing.set(c.uuid, row);
    this.onChange(c);
  }

  private async ping(c: CheckRow, action: Action, exit: number | null, rid: string | null, body: string, now: number) {
    c.pings++;
    c.last_body = body.slice(0, PING_BODY_LIMIT) || c.last_body;
    if (exit !== null) c.last_exit = exit;
    await this.k.store.addEvent({
      device: `check:${c.slug ?? c.uuid}`,
      kind: "hub",
      t: now,
      level: action === "fail" ? "error" : "info",
      source: "ping",
      message: `${action}${exit !== null ? ` (exit ${exit})` : ""}${body ? `: ${body.slice(0, 200)}` : ""}`,
    });
    if (action === "log") return this.k.store.putCheck(c);
    if (action === "start") {
      c.started_at = now;
      c.start_rid = rid;
      if (c.state !== "down") c.state = "started";
      return this.save(c);
    }
    if (action === "fail") {
      c.started_at = null;
      c.start_rid = null;
      c.last_ping = now;
      return this.down(c, now, exit !== null ? `it reported exit status ${exit}` : "it reported a failure");
    }
    // success: a finish whose rid does not match the started run leaves the run started
    const keepsRun = rid !== null && c.start_rid !== null && rid !== c.start_rid;
    if (!keepsRun) {
      c.started_at = null;
      c.start_rid = null;
    }
    const wasDown = c.state === "down";
    c.last_ping = now;
    c.state = keepsRun ? "started" : "up";
    await this.save(c);
    const a = this.firing.get(c.uuid);
    if (wasDown && a) {
      this.firing.delete(c.uuid);
      await this.k.alerts.resolve(a, "critical", `check ${c.name} is up again after ${human(now - a.since)}`, now);
      this.onChange(c);
    }
  }

  routes(): Route[] {
    const handle = (req: IncomingMessage, res: ServerResponse, url: URL, body: unknown) =>
      this.serial(() => this.handle(req, res, url, Buffer.isBuffer(body) ? body.toString("utf8") : ""));
    return [
      { method: "GET", path: "/ping/", prefix: true, rawBody: true, handle },
      { method: "POST", path: "/ping/", prefix: true, rawBody: true, handle },
    ];
  }

  private async handle(_req: IncomingMessage, res: ServerResponse, url: URL, body: string): Promise<void> {
    const now = Date.now();
    const parts = url.pathname.slice("/ping/".length).split("/").filter(Boolean);
    let check: CheckRow | undefined;
    let rest: string[];
    let created = false;
    if (parts[0] && UUID_RE.test(parts[0])) {
      check = this.checks.get(parts[0].toLowerCase());
      rest = parts.slice(1);
      if (!check) return answer(res, 404, "not found");
    } else if (parts.length >= 2) {
      const [key, slug] = parts as [string, string];
      rest = parts.slice(2);
      if (!SLUG_RE.test(slug)) return answer(res, 400, "invalid url format");
      if (key !== this.k.pingKey) return answer(res, 404, "not found");
      const matches = this.list().filter((c) => c.slug === slug);
      if (matches.length > 1) return answer(res, 409, "ambiguous slug");
      check = matches[0];
      if (!check) {
        if (url.searchParams.get("create") !== "1") return answer(res, 404, "not found");
        check = this.blank(slug);
        created = true;
      }
    } else return answer(res, 404, "not found");
    if (rest.length > 1) return answer(res, 404, "not found");
    let action: Action = "success";
    let exit: number | null = null;
    const verb = rest[0];
    if (verb === "start" || verb === "fail" || verb === "log") action = verb;
    else if (verb !== undefined) {
      if (!/^\d{1,9}$/.test(verb)) return answer(res, 404, "not found");
      exit = Number(verb);
      if (exit > 255) return answer(res, 400, "invalid url format");
      if (exit !== 0) action = "fail";
    }
    const ridText = url.searchParams.get("rid");
    if (ridText !== null && !UUID_RE.test(ridText)) return answer(res, 400, "invalid uuid format");
    if (created) await this.save(check);
    await this.ping(check, action, exit, ridText?.toLowerCase() ?? null, body, now);
    answer(res, created ? 201 : 200, created ? "Created" : "OK");
  }
}
