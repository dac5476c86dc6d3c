import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { mkdirp, writeFileAtomic } from "../../protocol/atomic.ts";

export interface Batch {
  boot_id: string;
  seq: number;
  sent_at: number;
  interval: number;
  samples: { t: number; v: Record<string, number> }[];
  events: { t: number; level: string; source: string; message: string }[];
  alerts: Record<string, unknown>[];
  /** Results of the commands the hub relayed, reported once each. */
  command_results?: { id: string; ok: boolean; output: string }[];
}

/**
 * Unacknowledged pushes, oldest first. Kept in memory; written to disk (one atomic file, only when the
 * queue changed and a push failed) so an outage survives an agent restart without wearing an SD card:
 * while the hub answers, nothing is written at all. Over the byte budget the oldest batches go first,
 * their samples counted.
 */
export class PushQueue {
  batches: Batch[] = [];
  bytes = 0;
  droppedSamples = 0;
  droppedBatches = 0;
  private dirty = false;
  private readonly sizes = new WeakMap<Batch, number>();
  private readonly file: string;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
  ) {
    this.file = join(dir, "queue.json");
  }

  async load(): Promise<void> {
    await mkdirp(this.dir);
    try {
      const list = JSON.parse(await fsp.readFile(this.file, "utf8")) as Batch[];
      if (Array.isArray(list)) this.batches = list;
    } catch {
      this.batches = [];
    }
    this.measure();
  }

  push(b: Batch): void {
    this.batches.push(b);
    this.bytes += this.size(b);
    while (this.bytes > this.maxBytes && this.batches.length > 1) {
      const old = this.batches.shift() as Batch;
      this.bytes -= this.size(old);
      this.droppedBatches++;
      this.droppedSamples += old.samples.length;
    }
    this.dirty = true;
  }

  ack(b: Batch): void {
    const i = this.batches.indexOf(b);
    if (i >= 0) {
      this.batches.splice(i, 1);
      this.bytes -= this.size(b);
    }
    this.dirty = true;
  }

  /** Write the queue when it changed (one atomic write per push interval at most). */
  async save(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    if (this.batches.length === 0) {
      await fsp.rm(this.file, { force: true });
      return;
    }
    await writeFileAtomic(this.file, JSON.stringify(this.batches));
  }

  private size(b: Batch): number {
    let n = this.sizes.get(b);
    if (n === undefined) {
      n = JSON.stringify(b).length + 1;
      this.sizes.set(b, n);
    }
    return n;
  }

  private measure(): void {
    this.bytes = this.batches.reduce((n, b) => n + this.size(b), 0);
  }
}
