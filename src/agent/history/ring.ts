import { dirname } from "node:path";
import { mkdirp, writeFileAtomic } from "../../protocol/atomic.ts";
import { readRegularFile } from "../../protocol/read-file.ts";

/** A history file over this (far above what max_samples allows) is not read whole. */
const HISTORY_MAX_BYTES = 64 * 1024 * 1024;

export interface HistorySample {
  /** epoch ms */
  t: number;
  v: Record<string, number>;
}

/** A bounded ring of samples: pushing past `max` drops the oldest. O(1) push, no array shifting. */
export class HistoryRing {
  private buf: (HistorySample | undefined)[];
  private head = 0; // next write position
  private count = 0;

  constructor(readonly max: number) {
    this.buf = new Array(max);
  }

  get size(): number {
    return this.count;
  }

  push(s: HistorySample): void {
    this.buf[this.head] = s;
    this.head = (this.head + 1) % this.max;
    if (this.count < this.max) this.count++;
  }

  /** Oldest first. */
  all(): HistorySample[] {
    const out: HistorySample[] = [];
    for (let i = 0; i < this.count; i++) {
      const s = this.buf[(this.head - this.count + i + this.max) % this.max];
      if (s) out.push(s);
    }
    return out;
  }

  since(ms: number): HistorySample[] {
    return this.all().filter((s) => s.t >= ms);
  }

  last(): HistorySample | undefined {
    return this.count ? this.buf[(this.head - 1 + this.max) % this.max] : undefined;
  }
}

/**
 * The on-disk form, columnar to keep flushes small: {"v":1,"keys":[..],"rows":[[t, v0, v1, ...]]}
 * (null where a sample lacks a key).
 */
export function serialize(samples: HistorySample[]): string {
  const keys: string[] = [];
  const index = new Map<string, number>();
  for (const s of samples)
    for (const k of Object.keys(s.v)) {
      if (!index.has(k)) {
        index.set(k, keys.length);
        keys.push(k);
      }
    }
  const rows = samples.map((s) => {
    const row: (number | null)[] = [s.t, ...new Array<null>(keys.length).fill(null)];
    for (const [k, v] of Object.entries(s.v)) row[(index.get(k) as number) + 1] = v;
    return row;
  });
  return JSON.stringify({ v: 1, keys, rows });
}

export function deserialize(text: string): HistorySample[] {
  const o = JSON.parse(text) as { v?: unknown; keys?: unknown; rows?: unknown };
  if (o?.v !== 1 || !Array.isArray(o.keys) || !Array.isArray(o.rows)) {
    throw new Error('expected {"v":1,"keys":[...],"rows":[...]}');
  }
  const keys = o.keys.map(String);
  const out: HistorySample[] = [];
  for (const row of o.rows) {
    if (!Array.isArray(row) || typeof row[0] !== "number") continue;
    const v: Record<string, number> = {};
    keys.forEach((k, i) => {
      const x = row[i + 1];
      if (typeof x === "number" && Number.isFinite(x)) v[k] = x;
    });
    out.push({ t: row[0], v });
  }
  return out;
}

export interface HistoryStoreOptions {
  file: string;
  maxSamples: number;
  /** Minimum ms between samples. */
  intervalMs: number;
  /** A dirty ring is written this long after its first unsaved sample. */
  flushMs: number;
  onWarning: (msg: string) => void;
  now?: () => number;
}

/**
 * The ring plus its file. No timer runs while nothing is unsaved: the first sample after a flush arms
 * one flush timer, so a flush happens at most once per `flushMs` (and at stop). Writes are atomic
 * (temp file + rename, fsync'd: it lives on the SD card).
 */
export class HistoryStore {
  readonly ring: HistoryRing;
  private timer: NodeJS.Timeout | null = null;
  private lastAt = 0;
  private flushing: Promise<void> | null = null;
  bytesWritten = 0;
  flushes = 0;
  private readonly now: () => number;

  constructor(private readonly opts: HistoryStoreOptions) {
    this.ring = new HistoryRing(opts.maxSamples);
    this.now = opts.now ?? Date.now;
  }

  async load(): Promise<void> {
    let text: string;
    try {
      text = (await readRegularFile(this.opts.file, HISTORY_MAX_BYTES)).buf.toString("utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
        this.opts.onWarning(`cannot read history ${this.opts.file}: ${(err as Error).message}; starting empty`);
      }
      return;
    }
    try {
      for (const s of deserialize(text).slice(-this.opts.maxSamples)) this.ring.push(s);
      this.lastAt = this.ring.last()?.t ?? 0;
    } catch (err) {
      this.opts.onWarning(`history ${this.opts.file} is not usable (${(err as Error).message}); starting empty`);
    }
  }

  /** Record a sample unless one was taken less than intervalMs ago. Returns true when recorded. */
  offer(values: Record<string, number>, force = false): boolean {
    const t = this.now();
    if (!force && t - this.lastAt < this.opts.intervalMs) return false;
    if (Object.keys(values).length === 0) return false;
    this.lastAt = t;
    this.ring.push({ t, v: values });
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, this.opts.flushMs);
      this.timer.unref();
    }
    return true;
  }

  get dirty(): boolean {
    return this.timer !== null;
  }

  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.flushing = (async () => {
      const text = serialize(this.ring.all());
      try {
        await mkdirp(dirname(this.opts.file));
        await writeFileAtomic(this.opts.file, text, true);
        this.bytesWritten += Buffer.byteLength(text);
        this.flushes++;
      } catch (err) {
        this.opts.onWarning(`cannot write history ${this.opts.file}: ${(err as Error).message}`);
      }
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) await this.flush();
  }
}
