import { backoffDelay } from "../../lib/backoff.ts";
import type { Logger } from "../../lib/log.ts";
import type { SendResult } from "../../notify/types.ts";
import type { DiskQueue } from "./queue.ts";
import type { ExportStats } from "./types.ts";

export interface SenderOptions {
  name: string;
  queue: DiskQueue;
  stats: ExportStats;
  log: Logger;
  /** Items per request and an approximate byte bound. */
  maxItems: number;
  maxBytes: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Send one batch; `count` is how many items it stands for in `stats.sent`. */
  send(items: Uint8Array[], signal: AbortSignal): Promise<SendResult & { count?: number }>;
}

/**
 * Drains one export's queue in order, one request at a time: 2xx acknowledges the batch, 429/5xx and
 * network errors keep it and retry with the outbox's backoff (honouring Retry-After), any other 4xx
 * drops the batch (counted) with one warning until a send succeeds again.
 */
export class Sender {
  private busy = false;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private warnedPermanent = false;
  private stopped = false;
  /** After a refused batch, this many items go one per request, so one bad item costs only itself. */
  private singles = 0;
  private readonly abort = new AbortController();

  constructor(private readonly o: SenderOptions) {}

  /** Something was queued: send now unless a retry is already scheduled. */
  kick(): void {
    if (this.busy || this.timer || this.stopped) return;
    void this.drain();
  }

  /** True while a retry is scheduled after a failure. */
  get backingOff(): boolean {
    return this.timer !== null;
  }

  private async drain(): Promise<void> {
    this.busy = true;
    const { queue, stats } = this.o;
    try {
      while (queue.length > 0 && !this.stopped) {
        const batch = queue.peek(this.singles > 0 ? 1 : this.o.maxItems, this.o.maxBytes);
        let r: SendResult & { count?: number };
        try {
          r = await this.o.send(batch, this.abort.signal);
        } catch (err) {
          r = { ok: false, permanent: false, reason: (err as Error).message };
        }
        if (this.stopped) return;
        const count = r.count ?? batch.length;
        if (!r.ok && r.permanent && batch.length > 1) {
          // e.g. Prometheus refuses a whole request for one out-of-order sample: retry item by item.
          stats.failed++;
          this.singles = batch.length;
          continue;
        }
        if (this.singles > 0 && (r.ok || r.permanent)) this.singles--;
        if (r.ok) {
          await queue.ack(batch.length);
          stats.sent += count;
          stats.lastSuccessMs = Date.now();
          delete stats.lastError;
          this.failures = 0;
          this.warnedPermanent = false;
          continue;
        }
        stats.failed++;
        stats.lastError = r.reason;
        if (r.permanent) {
          await queue.ack(batch.length);
          stats.dropped += count;
          if (!this.warnedPermanent) {
            this.o.log.warn(`export ${this.o.name}: receiver refused a batch (${r.reason}); dropped, not retried`);
            this.warnedPermanent = true;
          }
          continue;
        }
        queue.peek(0, 0); // nothing in flight while waiting: a full queue may drop the oldest
        this.failures++;
        const delay = backoffDelay(this.failures, this.o.backoffInitialMs, this.o.backoffMaxMs, r.retryAfterMs);
        if (this.failures === 1 || this.failures % 10 === 0) {
          this.o.log.warn(
            `export ${this.o.name}: send failed (${r.reason}); retrying in ${Math.round(delay / 1000)} s`,
            {
              queued: queue.length,
            },
          );
        }
        this.timer = setTimeout(() => {
          this.timer = null;
          void this.drain();
        }, delay);
        return;
      }
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
