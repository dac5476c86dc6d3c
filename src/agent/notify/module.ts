import { join } from "node:path";
import { type Clock, systemClock } from "../../lib/clock.ts";
import { localDate } from "../../lib/time-of-day.ts";
import { createChannels, Notifier } from "../../notify/notifier.ts";
import { Outbox } from "../../notify/outbox.ts";
import type { Config } from "../config.ts";
import type { AgentContext, AgentModule, HealthVerdict, MetricFamily } from "../module.ts";
import { DailyTimer, dailySummaryText } from "./summary.ts";

/**
 * Notifications: the durable outbox and the channels, fed by the device state's alert changes (every
 * alert — rules, recovery, jobs — comes through state with the notice it brings), the daily summary,
 * the outbox's health and metrics. (Its name, "alerts", is what /health/deep shows.)
 */
export class AlertsModule implements AgentModule {
  readonly name = "alerts";
  outbox!: Outbox;
  notifier!: Notifier;
  private daily: DailyTimer | null = null;
  private state: AgentContext["state"] | null = null;
  private errorsToday: string[] = [];
  private unsubs: (() => void)[] = [];

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
    // Every alert change that brings a notice is handed on; an event-born one is on disk before the
    // event is acknowledged (a failure here is thrown back to the publisher).
    this.unsubs.push(
      ctx.state.on("alert", (_a, notice) => (notice ? this.notifier.alert(notice, this.clock.now()) : undefined)),
    );
    ctx.state.notifications = () => ({
      pending: this.outbox.depth(),
      oldest_age_seconds: this.outbox.oldestAgeSeconds(),
      channels: this.outbox.channelStatus(),
    });
    this.state = ctx.state;
    this.unsubs.push(
      ctx.state.on("event", (ev) => {
        if (ev.level !== "error" && ev.level !== "critical") return;
        this.errorsToday.push(`${ev.source}: ${ev.message}`);
        if (this.errorsToday.length > 100) this.errorsToday.shift();
      }),
    );
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

  stop(): void {
    for (const u of this.unsubs) u();
    this.daily?.stop();
    if (this.state) this.state.notifications = null;
    this.outbox?.stop();
  }

  health(): HealthVerdict {
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

  metrics(): MetricFamily[] {
    const counters = [...this.outbox.counters].map(([k, value]) => {
      const [channel, result] = k.split("\t") as [string, string];
      return { labels: { channel, result }, value };
    });
    return [
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

/** Module factory (src/agent/modules.ts). Always on: with no channels the outbox stays empty. */
export function alertsModule(config: Config): AgentModule {
  return new AlertsModule(config);
}
