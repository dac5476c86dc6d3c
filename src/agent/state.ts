import type { AlertNotice, AlertState } from "../notify/alert.ts";
import type { DeviceEvent } from "../protocol/events.ts";
import { type JsonObject, toJson } from "../protocol/json.ts";
import { publishedNotice } from "../rules/text.ts";

/** What a collector produced in its last run. */
export interface CollectorResult {
  collector: string;
  ok: boolean;
  /** ms since epoch when the run finished. */
  at: number;
  durationMs: number;
  /** Collector-specific values; `null` fields mean "no data" (missing hardware), not an error. */
  data: JsonObject;
  error?: string;
}

export type { AlertNotice, AlertState };

/** What the notify module reports about its outbox (for GET /api/alerts). */
export interface NotificationStatus {
  pending: number;
  oldest_age_seconds: number;
  channels: unknown[];
}

type Topics = {
  /** The merged status document changed. */
  status: [doc: JsonObject];
  /** A collector finished a run. */
  sample: [result: CollectorResult];
  /** An event arrived through the protocol (or from inside the agent). Subscribers may be async. */
  event: [ev: DeviceEvent];
  /**
   * An alert changed (rules, recovery, jobs: every alert goes through here), with the notification it
   * brings, or null (a silenced or pending alert, a state restored at start). The notify module sends it.
   */
  alert: [alert: AlertState, notice: AlertNotice | null];
};

type Listener<K extends keyof Topics> = (...args: Topics[K]) => void | Promise<void>;

/**
 * The device state every module shares. Writers (reader, collectors, rules) publish into it;
 * readers (HTTP, metrics, exports, dashboard) read it or subscribe. Publishing awaits async
 * subscribers, so an event is acknowledged to the maildir only after, e.g., the outbox has it on disk.
 */
export class DeviceState {
  readonly startedAt = Date.now();
  private doc: JsonObject = {};
  readonly collectors = new Map<string, CollectorResult>();
  /** Active alerts by id; a resolved one stays until its producer clears it (`clearAlert`). */
  readonly alerts = new Map<string, AlertState>();
  /** Set by the notify module while it runs: its outbox, for GET /api/alerts. */
  notifications: (() => NotificationStatus) | null = null;
  private readonly listeners: { [K in keyof Topics]: Listener<K>[] } = { status: [], sample: [], event: [], alert: [] };
  /** Events some subscribers took and some refused (the reader will retry them): who already has them. */
  private readonly partlyDelivered = new Map<string, Set<Listener<"event">>>();

  get document(): JsonObject {
    return this.doc;
  }

  on<K extends keyof Topics>(topic: K, fn: Listener<K>): () => void {
    const list = this.listeners[topic] as Listener<K>[];
    list.push(fn);
    return () => {
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    };
  }

  async setDocument(doc: JsonObject): Promise<void> {
    this.doc = doc;
    await this.emit("status", doc);
  }

  async setCollector(result: CollectorResult): Promise<void> {
    this.collectors.set(result.collector, result);
    await this.emit("sample", result);
  }

  /**
   * Hand an event to every subscriber. When one fails, the reader keeps the event file and retries
   * it later; on that retry only the subscribers that have not yet taken this event get it again.
   */
  async publishEvent(ev: DeviceEvent): Promise<void> {
    // Only events some subscriber refused are remembered, so the common case does no extra work.
    const key = this.partlyDelivered.size > 0 ? toJson(ev) : null;
    const done = (key !== null && this.partlyDelivered.get(key)) || new Set<Listener<"event">>();
    const errors: unknown[] = [];
    for (const fn of [...this.listeners.event]) {
      if (done.has(fn)) continue;
      try {
        await fn(ev);
        done.add(fn);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 0) {
      if (key !== null) this.partlyDelivered.delete(key);
      return;
    }
    this.partlyDelivered.set(key ?? toJson(ev), done);
    if (this.partlyDelivered.size > 1000) {
      const oldest = this.partlyDelivered.keys().next().value;
      if (oldest !== undefined) this.partlyDelivered.delete(oldest);
    }
    throw errors[0];
  }

  /**
   * Publish an alert. `notice` is the notification it brings; left out, it is the one every producer's
   * alert brings (one for firing and one for resolved per episode, in the shared rules text), so
   * recovery and jobs alerts read and deduplicate like the rules' alerts.
   */
  async setAlert(alert: AlertState, notice?: AlertNotice | null): Promise<void> {
    this.alerts.set(alert.id, alert);
    await this.emit("alert", alert, notice === undefined ? publishedNotice(alert) : notice);
  }

  /** Publish an alert's end and drop it from the active alerts (the rules' resolved alerts). */
  async clearAlert(alert: AlertState, notice?: AlertNotice | null): Promise<void> {
    this.alerts.delete(alert.id);
    await this.emit("alert", alert, notice === undefined ? publishedNotice(alert) : notice);
  }

  /** Device status from the merged document (one of STATUSES, or "unknown"). */
  get status(): string {
    const s = this.doc.status;
    return typeof s === "string" ? s : "unknown";
  }

  /** Quiet mode: the device is encoding video; non-essential sampling pauses. */
  get quiet(): boolean {
    return this.status === "creating_video";
  }

  private async emit<K extends keyof Topics>(topic: K, ...args: Topics[K]): Promise<void> {
    const list = this.listeners[topic] as Listener<K>[];
    const errors: unknown[] = [];
    for (const fn of [...list]) {
      try {
        await fn(...args);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length) throw errors[0];
  }
}
