import { promises as fsp } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../../lib/log.ts";
import { mkdirp, writeFileAtomic } from "../../protocol/atomic.ts";

export interface DiskQueueOptions {
  /** e.g. <state_dir>/exports/remote_write-grafana */
  dir: string;
  /** Items beyond this many bytes push out the oldest (counted in `dropped`). */
  maxBytes: number;
  /** Items still unsent this long after they were queued are written to disk, many per file. */
  flushMs: number;
  log: Logger;
  /** Told about each item pushed out of a full queue (to count what it stood for). */
  onDrop?: (data: Uint8Array) => void;
}

interface Item {
  data: Uint8Array;
  /** When it was queued (ms): only items unsent for a whole flush interval are written by the timer. */
  at: number;
  /** Segment file holding it, or null while it lives in memory only. */
  seg: number | null;
}

const SEG_RE = /^seg-(\d{12})$/;

/**
 * A bounded FIFO of opaque items for one export. Items are sent from memory; only those still unsent
 * when the flush timer fires (an outage), or when the agent stops, are written — in one file per flush,
 * so a healthy link writes nothing to the SD card. Files are replaced atomically; a file is removed
 * once all its items are acknowledged, and `head` records how many of the first file were.
 */
export class DiskQueue {
  private items: Item[] = [];
  private segCount = new Map<number, number>();
  /** Segment files being removed; close() waits for them, so a closed queue leaves no emptied file. */
  private unlinking = new Set<Promise<void>>();
  private nextSeg = 1;
  private byteSize = 0;
  private timer: NodeJS.Timeout | null = null;
  private headDirty = false;
  /** Items handed out by peek() and not yet acknowledged: never dropped from under the sender. */
  private inflight = 0;
  dropped = 0;
  /** Bytes written to disk (segment files and head markers) since start. */
  bytesWritten = 0;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly o: DiskQueueOptions) {}

  get length(): number {
    return this.items.length;
  }
  get bytes(): number {
    return this.byteSize;
  }

  /** Read what a previous run left. Unreadable files are skipped with a warning, never fatal. */
  async load(): Promise<void> {
    await mkdirp(this.o.dir);
    let skip = 0;
    let headSeg = 0;
    try {
      const [s, k] = (await fsp.readFile(join(this.o.dir, "head"), "utf8")).trim().split(" ").map(Number);
      if (Number.isInteger(s) && Number.isInteger(k)) [headSeg, skip] = [s as number, k as number];
    } catch {}
    const names = (await fsp.readdir(this.o.dir)).filter((n) => SEG_RE.test(n)).sort();
    for (const name of names) {
      const seg = Number((SEG_RE.exec(name) as RegExpExecArray)[1]);
      this.nextSeg = Math.max(this.nextSeg, seg + 1);
      let buf: Buffer;
      try {
        buf = await fsp.readFile(join(this.o.dir, name));
      } catch (err) {
        this.o.log.warn(`export queue: cannot read ${name}: ${(err as Error).message}; skipped`);
        continue;
      }
      const data: Uint8Array[] = [];
      for (let p = 0; p + 4 <= buf.length; ) {
        const n = buf.readUInt32LE(p);
        if (p + 4 + n > buf.length) break;
        data.push(buf.subarray(p + 4, p + 4 + n));
        p += 4 + n;
      }
      const keep = seg === headSeg ? data.slice(skip) : data;
      if (keep.length === 0) {
        await fsp.unlink(join(this.o.dir, name)).catch(() => {});
        continue;
      }
      this.segCount.set(seg, keep.length);
      for (const d of keep) {
        this.items.push({ data: d, seg, at: 0 });
        this.byteSize += d.length;
      }
    }
    this.bound();
  }

  push(data: Uint8Array): void {
    this.items.push({ data, seg: null, at: Date.now() });
    this.byteSize += data.length;
    this.bound();
    this.arm();
  }

  private arm(): void {
    this.timer ??= setTimeout(() => {
      this.timer = null;
      void this.flush(false).then(() => {
        if (this.items.some((it) => it.seg === null)) this.arm();
      });
    }, this.o.flushMs);
    this.timer.unref?.();
  }

  /** The oldest items, at most `maxItems` and about `maxBytes` (always at least one). */
  peek(maxItems: number, maxBytes: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let size = 0;
    for (const it of this.items) {
      if (out.length >= maxItems || (out.length > 0 && size + it.data.length > maxBytes)) break;
      out.push(it.data);
      size += it.data.length;
    }
    this.inflight = out.length;
    return out;
  }

  /** Remove the first `n` items (sent, or refused for good). */
  async ack(n: number): Promise<void> {
    this.inflight = 0;
    await this.remove(Math.min(n, this.items.length));
  }

  private bound(): void {
    let over = this.byteSize - this.o.maxBytes;
    if (over <= 0) return;
    let k = this.inflight;
    while (over > 0 && k < this.items.length - 1) {
      over -= (this.items[k] as Item).data.length;
      k++;
    }
    const victims = this.items.splice(this.inflight, k - this.inflight);
    for (const v of victims) {
      this.forget(v);
      this.o.onDrop?.(v.data);
    }
    this.dropped += victims.length;
  }

  private async remove(n: number): Promise<void> {
    for (const v of this.items.splice(0, n)) this.forget(v);
  }

  private forget(v: Item): void {
    this.byteSize -= v.data.length;
    if (v.seg === null) return;
    const left = (this.segCount.get(v.seg) ?? 1) - 1;
    this.headDirty = true;
    if (left > 0) {
      this.segCount.set(v.seg, left);
      return;
    }
    this.segCount.delete(v.seg);
    const gone: Promise<void> = fsp
      .unlink(join(this.o.dir, `seg-${String(v.seg).padStart(12, "0")}`))
      .catch(() => {})
      .finally(() => this.unlinking.delete(gone));
    this.unlinking.add(gone);
  }

  /**
   * Write unsent in-memory items into one new segment file, and the head marker: all of them, or with
   * `all` false only those queued a whole flush interval ago (younger ones are likely on their way).
   */
  flush(all = true): Promise<void> {
    this.flushing = this.flushing.then(() => this.doFlush(all));
    return this.flushing;
  }

  private async doFlush(all: boolean): Promise<void> {
    const cutoff = Date.now() - this.o.flushMs;
    const fresh = this.items.filter((it) => it.seg === null && (all || it.at <= cutoff));
    try {
      if (fresh.length > 0) {
        const seg = this.nextSeg++;
        const parts: Buffer[] = [];
        for (const it of fresh) {
          const len = Buffer.alloc(4);
          len.writeUInt32LE(it.data.length);
          parts.push(len, Buffer.from(it.data.buffer, it.data.byteOffset, it.data.length));
        }
        const body = Buffer.concat(parts);
        await writeFileAtomic(join(this.o.dir, `seg-${String(seg).padStart(12, "0")}`), body, true);
        this.bytesWritten += body.length;
        // Items acknowledged while the file was written must not come back after a restart.
        const still = fresh.filter((it) => this.items.includes(it));
        for (const it of still) it.seg = seg;
        if (still.length > 0) this.segCount.set(seg, still.length);
        this.headDirty = true;
      }
      if (this.headDirty) {
        const first = this.items.find((it) => it.seg !== null);
        if (first && first.seg !== null) {
          const total = await this.segItems(first.seg);
          await this.writeHead(first.seg, total - (this.segCount.get(first.seg) ?? 0));
        }
        this.headDirty = false;
      }
    } catch (err) {
      this.o.log.warn(`export queue: cannot write to ${this.o.dir}: ${(err as Error).message}; kept in memory`);
    }
  }

  private async segItems(seg: number): Promise<number> {
    const buf = await fsp.readFile(join(this.o.dir, `seg-${String(seg).padStart(12, "0")}`)).catch(() => null);
    if (!buf) return 0;
    let n = 0;
    for (let p = 0; p + 4 <= buf.length; p += 4 + buf.readUInt32LE(p)) n++;
    return n;
  }

  private async writeHead(seg: number, skip: number): Promise<void> {
    const text = `${seg} ${skip}\n`;
    await writeFileAtomic(join(this.o.dir, "head"), text, true);
    this.bytesWritten += text.length;
  }

  /** Persist what is unsent (the agent is stopping). */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
    await Promise.all(this.unlinking);
  }
}
