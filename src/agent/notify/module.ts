import { join } from "node:path";
import { z } from "zod";
import { parseDuration } from "../../config/kit.ts";
import { HttpError, Query, sendJson } from "../../http/respond.ts";
import { type Clock, systemClock } from "../../lib/clock.ts";
import { localDate } from "../../lib/time-of-day.ts";
import { createChannels, Notifier } from "../../notify/notifier.ts";
import { Outbox } from "../../notify/outbox.ts";
import type { Config } from "../config.ts";
import type { AgentContext, AgentModule, HealthVerdict, MetricFamily, Route } from "../module.ts";
import { type AlertNotice, RuleEngine, type Silence } from "../rules/engine.ts";
import { ruleDefinitions } from "../rules/index.ts";
import type { Rule } from "../rules/types.ts";
import type { AlertState } from "../state.ts";
import { DailyTimer, dailySummaryText } from "./summary.ts";

/** Build every enabled rule from the config. */
export function createRules(config: Config): Rule[] {
  const out: Rule[] = [];
  const cfgs = config.alerts.rules as Record<string, unknown>;
  for (const def of ruleDefinitions) {
    const r = def.create(cfgs[def.name] as never, config);
    if (r) out.push(r);
  }
  return out;
}

const silenceBody = z.strictObject({
  rule: z.enum(ruleDefinitions.map((d) => d.name) as [string, ...string[]]).optional(),
  source: z.string().min(1).max(64).optional(),
  duration: z.union([z.string(), z.number().positive()]).optional(),
  until: z.string().optional(),
  comment: z.string().max(500).optional(),
});

const SEVERITY_LEVEL = { info: "info", warning: "warning", critical: "critical" } as const;

/**
 * Alerts and notifications: the rules engine (state topics → alerts), the durable outbox and the
 * channels, the daily summary, GET /api/alerts, POST /api/alerts/silence and their metrics.
 */
export class AlertsModule implements AgentModule {
  readonly name = "alerts";
  engine!: RuleEngine;
  outbox!: Outbox;
  notifier!: Notifier;
  private daily: DailyTimer | null = null;
  private errorsToday: string[] = [];
  private unsubs: (() => void)[] = [];
  private ownRules = new Set<string>();

  constructor(
    private readonly config: Config,
    private readonly clock: Clock = systemClock,
  ) {}

  async start(ctx: AgentContext): Promise<void> {
    const { config } = this;
    const channels = createChannels(config);
    this.outbox = new Outbox({
      dir: join(config.state_dir, "outbox"),
      channels,
      log: ctx.log,
      clock: this.clock,
      maxPending: config.notify.outbox.max_pending,
      backoffInitialMs: config.notify.outbox.backoff_initial,
      backoffMaxMs: config.notify.outbox.backoff_max,
      summaryAfter: config.notify.outbox.summary_after,
      deadLetterKeep: config.notify.outbox.dead_letter_keep,
    });
    await this.outbox.start();
    this.notifier = new Notifier(config, channels, this.outbox);
    const rules = createRules(config);
    this.ownRules = new Set(rules.map((r) => r.name));
    this.engine = new RuleEngine({
      rules,
      state: ctx.state,
      heartbeats: () => ctx.reader.heartbeats(),
      sink: (n: AlertNotice) => this.notifier.alert(n, this.clock.now()),
      log: ctx.log,
      clock: this.clock,
      deviceId: config.device.id,
      repeatMs: config.alerts.repeat_interval,
      historySize: config.alerts.history_size,
      flapping: { enabled: config.alerts.flapping.enabled, windowMs: config.alerts.flapping.window },
      silences: config.alerts.silences.map((s) => ({
        ...(s.rules ? { rules: s.rules } : {}),
        ...(s.sources ? { sources: s.sources } : {}),
        ...(s.while_status ? { while_status: s.while_status } : {}),
        ...(s.daily ? { daily: s.daily } : {}),
        ...(s.comment ? { comment: s.comment } : {}),
      })),
      stateFile: join(config.state_dir, "alerts", "state.json"),
    });
    // Alerts other modules publish (recovery's watchdog ladder) are notified too, once per state.
    this.unsubs.push(ctx.state.on("alert", (a) => this.foreignAlert(a)));
    this.unsubs.push(
      ctx.state.on("event", (ev) => {
        if (ev.level !== "error" && ev.level !== "critical") return;
        this.errorsToday.push(`${ev.source}: ${ev.message}`);
        if (this.errorsToday.length > 100) this.errorsToday.shift();
      }),
    );
    await this.engine.start();
    if (config.notify.daily_summary.enabled) {
      this.daily = new DailyTimer(this.clock, config.notify.daily_summary.time, () => this.sendDailySummary(ctx));
      this.daily.start();
    }
  }

  async sendDailySummary(ctx: AgentContext): Promise<void> {
    const now = this.clock.now();
    const date = localDate(now);
    const text = dailySummaryText(this.config.device.id, date, ctx.state, this.errorsToday);
    this.errorsToday = [];
    await this.notifier
      .send(
        {
          kind: "daily_summary",
          level: "info",
          title: `${this.config.device.id} Daily Summary - ${date}`,
          message: text,
          dedupe_key: `daily:${date}`,
        },
        { force: true, now },
      )
      .catch((err: Error) => ctx.log.error(`daily summary not queued: ${err.message}`));
  }

  private async foreignAlert(a: AlertState): Promise<void> {
    if (this.ownRules.has(a.rule) || (a.state !== "firing" && a.state !== "resolved")) return;
    const text = a.state === "resolved" ? `RESOLVED: ${a.summary}` : `${a.severity.toUpperCase()}: ${a.summary}`;
    await this.notifier
      .send(
        {
          kind: "alert",
          level: SEVERITY_LEVEL[a.severity],
          title: text,
          message: text,
          dedupe_key: `${a.id}@${a.since}:${a.state}`,
          alert: { ...a, notice: a.state },
        },
        { now: this.clock.now() },
      )
      .catch(() => {});
  }

  stop(): void {
    for (const u of this.unsubs) u();
    this.daily?.stop();
    this.engine?.stop();
    this.outbox?.stop();
  }

  health(): HealthVerdict {
    const stuck = this.engine.stuck();
    if (stuck) return { ok: false, detail: stuck };
    const age = this.outbox.oldestAgeSeconds();
    const failing = this.outbox.channelStatus().filter((c) => c.pending > 0 && c.failures >= 5);
    if (failing.length) {
      return {
        ok: false,
        detail: `outbox not draining: ${failing.map((c) => `${c.channel} (${c.pending} pending, ${c.last_error ?? "failing"})`).join("; ")}; oldest ${Math.round(age)} s`,
      };
    }
    return { ok: true, detail: `${this.outbox.depth()} pending notification(s)` };
  }

  routes(): Route[] {
    return [
      {
        method: "GET",
        path: "/api/alerts",
        handle: (_req, res, url) => {
          const limit = new Query(url.searchParams).int("limit", { min: 0, max: 10_000, default: 100 });
          const v = this.engine.view();
          sendJson(res, 200, {
            firing: v.firing,
            pending: v.pending,
            history: v.history.slice(0, limit),
            silences: v.silences.map(silenceJson),
            notifications: {
              pending: this.outbox.depth(),
              oldest_age_seconds: this.outbox.oldestAgeSeconds(),
              channels: this.outbox.channelStatus(),
            },
          });
        },
      },
      {
        method: "POST",
        path: "/api/alerts/silence",
        control: true,
        handle: async (_req, res, _url, body) => {
          const s = await this.engine.addSilence(parseSilence(body, this.clock.now()));
          sendJson(res, 201, { silence: silenceJson(s) });
        },
      },
      {
        method: "DELETE",
        path: "/api/alerts/silence",
        control: true,
        handle: async (_req, res, url) => {
          const id = url.searchParams.get("id");
          if (!id) throw new HttpError(400, "id: expected the silence id (?id=...), got nothing");
          if (!(await this.engine.removeSilence(id)))
            throw new HttpError(404, `no silence with id ${JSON.stringify(id)}`);
          sendJson(res, 200, { removed: id });
        },
      },
    ];
  }

  metrics(): MetricFamily[] {
    const bySev = this.engine.firingBySeverity();
    const counters = [...this.outbox.counters].map(([k, value]) => {
      const [channel, result] = k.split("\t") as [string, string];
      return { labels: { channel, result }, value };
    });
    return [
      {
        name: "edgewatch_alerts_firing",
        help: "Alerts firing now, by severity",
        type: "gauge",
        samples: (["info", "warning", "critical"] as const).map((s) => ({ labels: { severity: s }, value: bySev[s] })),
      },
      {
        name: "edgewatch_notifications_total",
        help: "Notification attempts by channel and result (sent, retry, dead, dropped, deduped, summarized, write_failed)",
        type: "counter",
        samples: counters,
      },
      {
        name: "edgewatch_outbox_depth",
        help: "Notifications waiting in the outbox",
        type: "gauge",
        samples: [{ value: this.outbox.depth() }],
      },
      {
        name: "edgewatch_outbox_oldest_age_seconds",
        help: "Age of the oldest notification waiting in the outbox (0 when empty)",
        type: "gauge",
        unit: "seconds",
        samples: [{ value: this.outbox.oldestAgeSeconds() }],
      },
    ];
  }
}

/** The longest silence POST /api/alerts/silence accepts: a forgotten one ends within a year. */
export const MAX_SILENCE_DAYS = 366;
const MAX_SILENCE_MS = MAX_SILENCE_DAYS * 86_400_000;

/** A time as ISO 8601; null for a value no Date can hold (never a RangeError in a route). */
const isoOrNull = (t: number): string | null => {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
};

function silenceJson(s: Silence & { active?: boolean }): Record<string, unknown> {
  const { starts_at, ends_at, ...rest } = s;
  return {
    ...rest,
    ...(starts_at !== undefined ? { starts_at: isoOrNull(starts_at) } : {}),
    ...(ends_at !== undefined ? { ends_at: isoOrNull(ends_at) } : {}),
  };
}

/** POST /api/alerts/silence body → silence; 400 saying what was expected and what was got. */
export function parseSilence(body: unknown, now: number): Omit<Silence, "id" | "origin"> {
  if (body === undefined)
    throw new HttpError(400, 'body: expected JSON like {"rule":"cpu","duration":"1h"}, got nothing');
  const r = silenceBody.safeParse(body, { reportInput: true });
  if (!r.success) {
    const i = r.error.issues[0] as z.core.$ZodIssue;
    const where = i.path.length ? i.path.join(".") : "body";
    const got = "input" in i ? JSON.stringify(i.input) : "nothing";
    const msg =
      i.code === "unrecognized_keys"
        ? `unknown key${i.keys.length > 1 ? "s" : ""} ${i.keys.join(", ")}; expected rule, source, duration, until, comment`
        : i.code === "invalid_value"
          ? `expected one of ${i.values.join("|")}, got ${got}`
          : `${i.message}, got ${got}`;
    throw new HttpError(400, `${where}: ${msg}`);
  }
  const b = r.data;
  let ends: number;
  if (b.duration !== undefined && b.until !== undefined)
    throw new HttpError(400, "expected duration or until, got both");
  if (b.duration !== undefined) {
    const ms = typeof b.duration === "number" ? b.duration * 1000 : parseDuration(b.duration);
    if (ms === null || !(ms > 0))
      throw new HttpError(
        400,
        `duration: expected a duration like "30m" or "2h" (or seconds), got ${JSON.stringify(b.duration)}`,
      );
    if (ms > MAX_SILENCE_MS)
      throw new HttpError(400, `duration: expected at most ${MAX_SILENCE_DAYS}d, got ${JSON.stringify(b.duration)}`);
    ends = now + ms;
  } else if (b.until !== undefined) {
    const t = Date.parse(b.until);
    if (Number.isNaN(t)) throw new HttpError(400, `until: expected an ISO 8601 time, got ${JSON.stringify(b.until)}`);
    if (t <= now) throw new HttpError(400, `until: expected a time in the future, got ${b.until}`);
    if (t > now + MAX_SILENCE_MS)
      throw new HttpError(400, `until: expected a time at most ${MAX_SILENCE_DAYS} days ahead, got ${b.until}`);
    ends = t;
  } else throw new HttpError(400, 'expected "duration" (e.g. "1h") or "until" (ISO 8601): a silence must expire');
  return {
    ...(b.rule ? { rules: [b.rule] } : {}),
    ...(b.source ? { sources: [b.source] } : {}),
    starts_at: now,
    ends_at: ends,
    ...(b.comment ? { comment: b.comment } : {}),
  };
}

/** Module factory (src/agent/modules.ts). Always on: with no channels, alerts still show in the API. */
export function alertsModule(config: Config): AgentModule {
  return new AlertsModule(config);
}
