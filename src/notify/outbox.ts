import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { scrub } from "../config/secrets.ts";
import { backoffDelay } from "../lib/backoff.ts";
import { type Clock, systemClock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import { mkdirp, writeFileAtomic } from "../protocol/atomic.ts";
import { EdgewatchError } from "../protocol/errors.ts";
import { isPlainObject, toJson } from "../protocol/json.ts";
import { levelRank } from "../protocol/names.ts";
import type { Channel, Notification, SendResult } from "./types.ts";

export interface OutboxOptions {
  /** e.g. <state_dir>/outbox: pending/, dead/, sent.log */
  dir: string;
  channels: Channel[];
  log: Logger;
  clock?: Clock;
  maxPending?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** More than this many queued for one channel → one summary message instead of a storm. */
  summaryAfter?: number;
  deadLetterKeep?: number;
  /** fsync each notification file (power-loss safe); default true. */
  durable?: boolean;
  random?: () => number;
}

export type Result = "sent" | "retry" | "dead" | "dropped" | "deduped" | "summarized" | "write_failed";

interface Entry {
  n: Notification;
  /** File under pending/, or null when it could not be written (disk full): memory only. */
  file: string | null;
  createdMs: number;
}

interface ChannelQueue {
  channel: Channel;
  queue: Entry[];
  busy: boolean;
  timer: unknown;
  failures: number;
  dropped: number;
  lastError?: string;
  nextAttemptAt?: number;
  abort: AbortController;
}

/** A notification could not be written to the outbox (e.g. the disk is full). */
export class OutboxWriteError extends EdgewatchError {
  constructor(message: string, cause: unknown) {
    super("EW_OUTBOX_WRITE", message, { cause });
  }
}

let seq = 0;

/**
 * The durable outbox: each notification is written (atomically, fsynced) under pending/ before it is
 * sent and removed only when the channel acknowledged it. Each channel drains its own queue in order,
 * so one failing channel never delays another. Retries back off exponentially with jitter and honour
 * Retry-After; permanent failures go to dead/ with the reason.
 */
export class Outbox {
  private readonly o: Required<Omit<OutboxOptions, "clock" | "random">> & { clock: Clock; random: () => number };
  private readonly queues = new Map<string, ChannelQueue>();
  private sentKeys = new Set<string>();
  private sentOrder: string[] = [];
  readonly counters = new Map<string, number>();
  private stopped = false;
  private writeErrorLogged = false;

  constructor(opts: OutboxOptions) {
    this.o = {
      maxPending: 1000,
      backoffInitialMs: 2000,
      backoffMaxMs: 600_000,
      summaryAfter: 10,
      deadLetterKeep: 200,
      durable: true,
      clock: systemClock,
      random: Math.random,
      ...opts,
    };
    for (const c of opts.channels) {
      this.queues.set(c.name, {
        channel: c,
        queue: [],
        busy: false,
        timer: null,
        failures: 0,
        dropped: 0,
        abort: new AbortController(),
      });
    }
  }

  get pendingDir(): string {
    return join(this.o.dir, "pending");
  }
  get deadDir(): string {
    return join(this.o.dir, "dead");
  }
  private get sentLog(): string {
    return join(this.o.dir, "sent.log");
  }
  private get attemptsLog(): string {
    return join(this.o.dir, "attempts.log");
  }
  /** Notification ids handed to a channel at least once (journalled in attempts.log before the send). */
  private attempted = new Set<string>();

  /** Load what a previous run left (a crash or SIGKILL included) and start draining it. */
  async start(): Promise<void> {
    await mkdirp(this.pendingDir);
    await mkdirp(this.deadDir);
    await this.loadSent();
    const tried = await this.loadAttempts();
    const names = (await fsp.readdir(this.pendingDir)).sort();
    for (const name of names) {
      const path = join(this.pendingDir, name);
      if (name.startsWith(".")) {
        await fsp.unlink(path).catch(() => {}); // an interrupted atomic write: never renamed, never acknowledged to anyone
        continue;
      }
      let n: Notification;
      try {
        const v: unknown = JSON.parse(await fsp.readFile(path, "utf8"));
        if (!isPlainObject(v) || typeof v.channel !== "string" || typeof v.dedupe_key !== "string") {
          throw new Error("expected a notification object");
        }
        n = v as unknown as Notification;
      } catch (err) {
        this.o.log.warn(`outbox: ${path} is unreadable (${(err as Error).message}); moved to dead/`);
        await fsp.rename(path, join(this.deadDir, name)).catch(() => {});
        continue;
      }
      const q = this.queues.get(n.channel);
      if (!q) {
        this.o.log.warn(`outbox: ${name} is for channel "${n.channel}", which is no longer configured; moved to dead/`);
        await fsp.rename(path, join(this.deadDir, name)).catch(() => {});
        continue;
      }
      if (this.sentKeys.has(`${n.channel}\t${n.dedupe_key}`)) {
        // acknowledged by the channel and recorded, but the agent stopped before removing the file
        this.count(n.channel, "deduped");
        await fsp.unlink(path).catch(() => {});
        continue;
      }
      // handed to the channel before the agent stopped, with no answer recorded: it may have arrived;
      // it goes again, marked as a possible repeat (and with the same idempotency key)
      if (tried.has(n.id)) n = { ...n, redelivery: true };
      q.queue.push({ n, file: path, createdMs: Date.parse(n.timestamp) || this.o.clock.now() });
    }
    // the journal only needs the ids still pending
    const still = [...this.queues.values()].flatMap((q) => q.queue.filter((e) => e.n.redelivery).map((e) => e.n.id));
    this.attempted = new Set(still);
    await writeFileAtomic(this.attemptsLog, still.length ? `${still.join("\n")}\n` : "", false).catch(() => {});
    for (const q of this.queues.values()) void this.pump(q);
  }

  private async loadAttempts(): Promise<Set<string>> {
    try {
      return new Set((await fsp.readFile(this.attemptsLog, "utf8")).split("\n").filter(Boolean));
    } catch {
      return new Set();
    }
  }

  /** Journal the ids about to be handed to a channel, once each, before the send starts. */
  private async journalAttempt(batch: Entry[]): Promise<void> {
    const fresh = batch.filter((e) => e.file !== null && !this.attempted.has(e.n.id)).map((e) => e.n.id);
    if (fresh.length === 0) return;
    for (const id of fresh) this.attempted.add(id);
    await fsp.appendFile(this.attemptsLog, `${fresh.join("\n")}\n`).catch(() => {});
  }

  stop(): void {
    this.stopped = true;
    for (const q of this.queues.values()) {
      q.abort.abort();
      if (q.timer !== null) this.o.clock.clearTimer(q.timer);
      q.timer = null;
    }
  }

  /**
   * Queue one notification for the named channels. Resolves once it is on disk for every channel.
   * When it cannot be written: with `mustPersist` it throws OutboxWriteError (the caller keeps its own
   * copy, e.g. the event stays in the maildir); otherwise it is kept in memory and still sent.
   */
  async enqueue(
    base: Omit<Notification, "id" | "channel">,
    channels: string[],
    opts: { mustPersist?: boolean } = {},
  ): Promise<void> {
    const created: Entry[] = [];
    for (const name of channels) {
      const q = this.queues.get(name);
      if (!q) continue;
      const key = `${name}\t${base.dedupe_key}`;
      if (this.sentKeys.has(key) || q.queue.some((e) => e.n.dedupe_key === base.dedupe_key)) {
        this.count(name, "deduped");
        continue;
      }
      const now = this.o.clock.now();
      const id = `${String(now).padStart(13, "0")}-${String(++seq % 1e6).padStart(6, "0")}-${randomBytes(3).toString("hex")}`;
      const n: Notification = { ...base, id, channel: name };
      const file = join(this.pendingDir, `${id}-${name}.json`);
      try {
        await writeFileAtomic(file, toJson(n), this.o.durable);
        created.push({ n, file, createdMs: now });
        this.writeErrorLogged = false;
      } catch (err) {
        this.count(name, "write_failed");
        const msg = `outbox: cannot write notification to ${this.pendingDir}: ${(err as Error).message}`;
        if (opts.mustPersist) {
          for (const e of created) if (e.file) await fsp.unlink(e.file).catch(() => {});
          this.o.log.error(`${msg}; the event stays in the maildir and is retried`);
          throw new OutboxWriteError(msg, err);
        }
        if (!this.writeErrorLogged) this.o.log.error(`${msg}; kept in memory only (lost if the agent restarts)`);
        this.writeErrorLogged = true;
        created.push({ n, file: null, createdMs: now });
        this.memoryOnly++;
      }
    }
    for (const e of created) {
      const q = this.queues.get(e.n.channel) as ChannelQueue;
      q.queue.push(e);
      await this.bound(q);
      void this.pump(q);
    }
    if (this.memoryOnly > 0 && created.some((e) => e.file !== null)) await this.persistStragglers();
  }

  private memoryOnly = 0;

  /** There is room again: write the notifications that were kept in memory only while the disk was full. */
  private async persistStragglers(): Promise<void> {
    for (const q of this.queues.values()) {
      for (const e of q.queue) {
        if (e.file !== null) continue;
        const file = join(this.pendingDir, `${e.n.id}-${q.channel.name}.json`);
        try {
          await writeFileAtomic(file, toJson(e.n), this.o.durable);
        } catch {
          return; // still full: try again after the next successful write
        }
        if (q.queue.includes(e)) e.file = file;
        else await fsp.unlink(file).catch(() => {}); // delivered meanwhile
      }
    }
    this.memoryOnly = 0;
  }

  /** Keep each queue within max_pending: drop the lowest level first (info before warning), oldest first. */
  private async bound(q: ChannelQueue): Promise<void> {
    while (q.queue.length > this.o.maxPending) {
      let victim = 0;
      // Never drop the head while it is being sent.
      const from = q.busy ? 1 : 0;
      victim = from;
      for (let i = from; i < q.queue.length; i++) {
        if (levelRank((q.queue[i] as Entry).n.level) < levelRank((q.queue[victim] as Entry).n.level)) victim = i;
      }
      const [e] = q.queue.splice(victim, 1) as [Entry];
      q.dropped++;
      this.count(q.channel.name, "dropped");
      if (e.file) await fsp.unlink(e.file).catch(() => {});
    }
  }

  private async pump(q: ChannelQueue): Promise<void> {
    if (q.busy || q.timer !== null || this.stopped) return;
    q.busy = true;
    try {
      while (q.queue.length > 0 && !this.stopped) {
        let batch: Entry[];
        let n: Notification;
        if (q.queue.length > this.o.summaryAfter) {
          batch = [...q.queue];
          n = this.summaryOf(q, batch);
        } else {
          batch = [q.queue[0] as Entry];
          n = (q.queue[0] as Entry).n;
        }
        if (q.dropped > 0) n = { ...n, dropped_before: q.dropped };
        await this.journalAttempt(batch);
        let r: SendResult;
        try {
          r = await q.channel.send(n, q.abort.signal);
        } catch (err) {
          r = { ok: false, permanent: false, reason: (err as Error).message };
        }
        if (this.stopped) return;
        // a channel's error may quote its URL or headers: no secret reaches /api/alerts, dead/ or a log
        if (!r.ok) r = { ...r, reason: scrub(r.reason) };
        if (r.ok) {
          if (n.dropped_before) q.dropped = 0;
          q.failures = 0;
          delete q.lastError;
          delete q.nextAttemptAt;
          for (const e of batch) {
            this.count(q.channel.name, batch.length > 1 ? "summarized" : "sent");
            await this.ack(q, e);
          }
          continue;
        }
        q.lastError = r.reason;
        if (r.permanent) {
          for (const e of batch) {
            this.count(q.channel.name, "dead");
            await this.deadLetter(q, e, r.reason);
          }
          this.o.log.error(`notify: ${q.channel.name} refused a notification permanently: ${r.reason}; dead-lettered`);
          continue;
        }
        q.failures++;
        this.count(q.channel.name, "retry");
        const delay = this.delay(q.failures, r.retryAfterMs);
        q.nextAttemptAt = this.o.clock.now() + delay;
        if (q.failures === 1 || q.failures % 10 === 0) {
          this.o.log.warn(`notify: ${q.channel.name} failed (${r.reason}); retrying in ${Math.round(delay / 1000)} s`, {
            pending: q.queue.length,
          });
        }
        q.timer = this.o.clock.setTimer(() => {
          q.timer = null;
          void this.pump(q);
        }, delay);
        return;
      }
    } finally {
      q.busy = false;
    }
  }

  private delay(failures: number, retryAfterMs?: number): number {
    return backoffDelay(failures, this.o.backoffInitialMs, this.o.backoffMaxMs, retryAfterMs, this.o.random);
  }

  private summaryOf(q: ChannelQueue, batch: Entry[]): Notification {
    const first = batch[0] as Entry;
    const worst = batch.reduce((a, e) => (levelRank(e.n.level) > levelRank(a) ? e.n.level : a), first.n.level);
    const shown = batch.slice(-50);
    const title = `${batch.length} notifications while ${q.channel.name} was unreachable`;
    return {
      ...first.n,
      kind: "summary",
      level: worst,
      title,
      message: `${title} (since ${first.n.timestamp}).${batch.length > shown.length ? ` Latest ${shown.length}:` : ""}`,
      id: `${first.n.id}-summary-${batch.length}`,
      dedupe_key: `summary:${first.n.id}:${batch.length}`,
      ...(batch.some((e) => e.n.redelivery) ? { redelivery: true } : {}),
      summary_of: {
        count: batch.length,
        items: shown.map((e) => ({ level: e.n.level, title: e.n.title, timestamp: e.n.timestamp })),
      },
    };
  }

  /**
   * The channel took it: record the send first, then remove the file. A stop between the two leaves
   * a file that the next start recognises as sent (sent.log) and removes without sending it again.
   */
  private async ack(q: ChannelQueue, e: Entry): Promise<void> {
    const key = `${q.channel.name}\t${e.n.dedupe_key}`;
    this.rememberSent(key);
    await fsp.appendFile(this.sentLog, `${key}\n`).catch(() => {});
    if (e.file) await fsp.unlink(e.file).catch(() => {});
    this.attempted.delete(e.n.id);
    const i = q.queue.indexOf(e);
    if (i >= 0) q.queue.splice(i, 1);
  }

  private async deadLetter(q: ChannelQueue, e: Entry, reason: string): Promise<void> {
    const i = q.queue.indexOf(e);
    if (i >= 0) q.queue.splice(i, 1);
    const name = e.file ? (e.file.split("/").pop() as string) : `${e.n.id}-${q.channel.name}.json`;
    try {
      await writeFileAtomic(
        join(this.deadDir, name),
        toJson({ ...e.n, dead_reason: reason, dead_at: new Date(this.o.clock.now()).toISOString() }),
      );
      if (e.file) await fsp.unlink(e.file).catch(() => {});
      await this.trimDead();
    } catch (err) {
      this.o.log.error(`outbox: cannot dead-letter ${name}: ${(err as Error).message}`);
      if (e.file) await fsp.unlink(e.file).catch(() => {});
    }
    this.rememberSent(`${q.channel.name}\t${e.n.dedupe_key}`);
  }

  private async trimDead(): Promise<void> {
    const names = (await fsp.readdir(this.deadDir)).filter((n) => !n.startsWith(".")).sort();
    for (const n of names.slice(0, Math.max(0, names.length - this.o.deadLetterKeep))) {
      await fsp.unlink(join(this.deadDir, n)).catch(() => {});
    }
  }

  private rememberSent(key: string): void {
    if (this.sentKeys.has(key)) return;
    this.sentKeys.add(key);
    this.sentOrder.push(key);
    if (this.sentOrder.length > 10_000) {
      for (const k of this.sentOrder.splice(0, 5_000)) this.sentKeys.delete(k);
    }
  }

  private async loadSent(): Promise<void> {
    let text = "";
    try {
      text = await fsp.readFile(this.sentLog, "utf8");
    } catch {
      return;
    }
    const lines = text.split("\n").filter(Boolean);
    const keep = lines.slice(-5_000);
    for (const k of keep) this.rememberSent(k);
    if (lines.length > 5_000) {
      await writeFileAtomic(this.sentLog, `${keep.join("\n")}\n`).catch(() => {});
    }
  }

  private count(channel: string, result: Result): void {
    const k = `${channel}\t${result}`;
    this.counters.set(k, (this.counters.get(k) ?? 0) + 1);
  }

  /** Pending notifications across channels. */
  depth(): number {
    let d = 0;
    for (const q of this.queues.values()) d += q.queue.length;
    return d;
  }

  /** Age of the oldest pending notification in seconds (0 when empty). */
  oldestAgeSeconds(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const q of this.queues.values()) for (const e of q.queue) oldest = Math.min(oldest, e.createdMs);
    return oldest === Number.POSITIVE_INFINITY ? 0 : Math.max(0, (this.o.clock.now() - oldest) / 1000);
  }

  channelStatus(): {
    channel: string;
    type: string;
    pending: number;
    failures: number;
    dropped: number;
    last_error?: string;
    next_attempt_at?: string;
  }[] {
    return [...this.queues.values()].map((q) => ({
      channel: q.channel.name,
      type: q.channel.type,
      pending: q.queue.length,
      failures: q.failures,
      dropped: q.dropped,
      ...(q.lastError ? { last_error: q.lastError } : {}),
      ...(q.nextAttemptAt ? { next_attempt_at: new Date(q.nextAttemptAt).toISOString() } : {}),
    }));
  }

  /** Resolves when every queue is empty (tests and benchmarks). */
  get drained(): boolean {
    return this.depth() === 0;
  }
}
