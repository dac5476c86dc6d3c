import { join } from "node:path";
import { type Level, levelRank } from "../protocol/names.ts";
import { dedupeKey } from "../rules/text.ts";
import type { HubConfig } from "./config.ts";
import { hubChannels, type Logger, Outbox } from "./shared.ts";
import type { AlertRow, HubStore, SilenceRow } from "./store/types.ts";

export interface Subject {
  device: string;
  site: string;
  tags: string[];
}

const covers = (x: SilenceRow, s: Subject, now: number) =>
  x.starts_at <= now &&
  now < x.ends_at &&
  (x.device === null || x.device === s.device) &&
  (x.site === null || x.site === s.site) &&
  (x.tag === null || s.tags.includes(x.tag));

/** "90 s", "4m 5s", "2h 3m" */
export function human(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/**
 * The hub's alerts: each firing and each resolution is one row in the store and one notification
 * through the agent's notifier outbox and channels (durable, retried, deduplicated per alert and state).
 * Silences and maintenance windows (per device, site or tag) keep the alert but mute its notifications.
 */
export class HubAlerts {
  private outbox!: Outbox;
  private silences: SilenceRow[] = [];
  readonly counts = { firing: 0, notified: 0, silenced: 0 };

  constructor(
    private readonly config: HubConfig,
    private readonly store: HubStore,
    private readonly log: Logger,
  ) {}

  private channels = [] as ReturnType<typeof hubChannels>;

  async start(): Promise<void> {
    this.channels = hubChannels(this.config);
    const o = this.config.notify.outbox;
    this.outbox = new Outbox({
      dir: join(this.config.state_dir, "outbox"),
      channels: this.channels,
      log: this.log,
      maxPending: o.max_pending,
      backoffInitialMs: o.backoff_initial,
      backoffMaxMs: o.backoff_max,
      summaryAfter: o.summary_after,
      deadLetterKeep: o.dead_letter_keep,
    });
    await this.outbox.start();
    await this.reloadSilences();
  }

  stop(): void {
    this.outbox?.stop();
  }

  async reloadSilences(): Promise<void> {
    this.silences = await this.store.listSilences();
  }

  silencedBy(s: Subject, now: number): SilenceRow | undefined {
    return this.silences.find((x) => covers(x, s, now));
  }

  /** Inside a maintenance window: a silence made ahead of its start covers the subject now. */
  inMaintenance(s: Subject, now: number): boolean {
    return this.silences.some((x) => x.created_at !== null && x.starts_at > x.created_at && covers(x, s, now));
  }

  /** The times ahead at which some silence starts or ends (the fleet view changes then). */
  edges(now: number): { id: string; at: number }[] {
    return this.silences.flatMap((x) =>
      [
        { id: `${x.id}:start`, at: x.starts_at },
        { id: `${x.id}:end`, at: x.ends_at },
      ].filter((e) => e.at > now),
    );
  }

  /** Fire an alert (one row, one notification unless silenced). */
  async fire(a: Omit<AlertRow, "state" | "resolved_at" | "notified">, level: Level, subject: Subject, now: number) {
    const silence = this.silencedBy(subject, now);
    const row: AlertRow = { ...a, state: "firing", resolved_at: null, notified: !silence };
    await this.store.putAlert(row);
    this.counts.firing++;
    if (silence) {
      this.counts.silenced++;
      this.log.info("alert silenced", { alert: a.id, silence: silence.id });
      return row;
    }
    await this.send(row, level, a.summary, now);
    return row;
  }

  /** Resolve a firing alert; notified only when its firing was. */
  async resolve(row: AlertRow, level: Level, summary: string, now: number): Promise<void> {
    const done: AlertRow = { ...row, state: "resolved", resolved_at: now };
    await this.store.putAlert(done);
    if (row.notified) await this.send(done, level, summary, now);
  }

  private async send(row: AlertRow, level: Level, text: string, now: number): Promise<void> {
    const min = this.config.notify.min_level;
    const to = this.channels.filter((c) => levelRank(level) >= levelRank(c.minLevel)).map((c) => c.name);
    if (levelRank(level) < levelRank(min) || to.length === 0) return;
    this.counts.notified++;
    await this.outbox.enqueue(
      {
        kind: "alert",
        level,
        title: text,
        message: text,
        device_id: row.kind === "check_down" ? "hub" : row.subject,
        site: row.site,
        timestamp: new Date(now).toISOString(),
        // the shared scheme (src/rules/text.ts): one notice per alert, episode and state
        dedupe_key: dedupeKey(row.id, row.since, row.state === "firing" ? "firing" : "resolved"),
        alert: {
          id: row.id,
          rule: row.kind,
          key: row.subject,
          state: row.state,
          summary: text,
          since: new Date(row.since).toISOString(),
          ...(row.resolved_at ? { resolved_at: new Date(row.resolved_at).toISOString() } : {}),
        },
      },
      to,
      { mustPersist: true },
    );
  }

  depth(): number {
    return this.outbox?.depth() ?? 0;
  }
}
