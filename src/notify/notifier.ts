import { type Level, levelRank } from "../protocol/names.ts";
import type { AlertNotice } from "./alert.ts";
import { channelTypes } from "./channels/index.ts";
import type { Outbox } from "./outbox.ts";
import type { Channel, Notification } from "./types.ts";

/** What the notifier reads of a program's config (the agent's and the hub's both have it). */
export interface NotifierConfig {
  notify: { channels: readonly Record<string, unknown>[]; timeout: number; min_level: Level };
  device: { id: string; site: string };
}

/** Build the configured channels (config is already validated). */
export function createChannels(config: NotifierConfig): Channel[] {
  return config.notify.channels.map((cfg) => {
    const t = channelTypes.find((c) => c.type === cfg.type);
    if (!t) throw new Error(`unknown channel type ${String(cfg.type)}`); // unreachable: the schema lists the same types
    return t.create(cfg, config.notify.timeout);
  });
}

/** Routes notifications to channels by level (global min_level, then each channel's own) into the outbox. */
export class Notifier {
  constructor(
    private readonly config: NotifierConfig,
    private readonly channels: Channel[],
    private readonly outbox: Outbox,
  ) {}

  /** Channel names a notification at `level` goes to. `force` skips the global min_level (daily summary, tests). */
  route(level: Level, force = false): string[] {
    if (!force && levelRank(level) < levelRank(this.config.notify.min_level)) return [];
    return this.channels.filter((c) => levelRank(level) >= levelRank(c.minLevel)).map((c) => c.name);
  }

  async send(
    n: Omit<Notification, "id" | "channel" | "device_id" | "site" | "timestamp"> & { timestamp?: string },
    opts: { mustPersist?: boolean; force?: boolean; now?: number } = {},
  ): Promise<void> {
    const to = this.route(n.level, opts.force);
    if (to.length === 0) return;
    await this.outbox.enqueue(
      {
        device_id: this.config.device.id,
        site: this.config.device.site,
        timestamp: n.timestamp ?? new Date(opts.now ?? Date.now()).toISOString(),
        ...n,
      },
      to,
      opts.mustPersist ? { mustPersist: true } : {},
    );
  }

  /** One notification per alert transition (rules, recovery, jobs: every alert that goes through state). */
  async alert(notice: AlertNotice, now: number): Promise<void> {
    const a = notice.alert;
    await this.send(
      {
        kind: "alert",
        level: notice.level,
        title: notice.text,
        message: notice.text,
        dedupe_key: notice.dedupeKey,
        alert: {
          id: a.id,
          rule: a.rule,
          ...(a.key !== undefined ? { key: a.key } : {}),
          notice: notice.kind,
          state: a.state,
          severity: a.severity,
          summary: a.summary,
          since: a.since,
          ...(a.firing_since ? { firing_since: a.firing_since } : {}),
          ...(a.resolved_at ? { resolved_at: a.resolved_at } : {}),
          ...(a.source ? { source: a.source } : {}),
          ...(a.value !== undefined ? { value: a.value } : {}),
          ...(a.fields ? { fields: a.fields } : {}),
        },
      },
      { mustPersist: notice.origin === "event", now },
    );
  }
}
