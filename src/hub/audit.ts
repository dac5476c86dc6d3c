import { promises as fsp } from "node:fs";
import { join } from "node:path";
import type { AuditEntry } from "./api-types.ts";
import type { Logger } from "./shared.ts";

const KEEP = 2000;
const ROTATE_BYTES = 10 * 1024 * 1024;
const TAIL_BYTES = 1024 * 1024;

/**
 * The hub's audit log: every admin write and every command result, one JSON line each in
 * `<state_dir>/audit.log` (renamed to audit.log.1 past 10 MiB). The newest 2000 are kept in memory
 * for GET /api/v1/audit. Lines are appended one at a time, in order.
 */
export class Audit {
  readonly file: string;
  private recent: AuditEntry[] = [];
  private chain: Promise<void> = Promise.resolve();
  private size = 0;

  constructor(
    dir: string,
    private readonly log: Logger,
  ) {
    this.file = join(dir, "audit.log");
  }

  async load(): Promise<void> {
    const fh = await fsp.open(this.file, "r").catch(() => null);
    if (!fh) return;
    try {
      const { size } = await fh.stat();
      this.size = size;
      const len = Math.min(size, TAIL_BYTES);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      const lines = buf.toString("utf8").split("\n");
      if (len < size) lines.shift(); // a partial first line
      for (const l of lines) {
        if (!l.trim()) continue;
        try {
          this.recent.push(JSON.parse(l) as AuditEntry);
        } catch {
          // a torn last line of a crash: skipped
        }
      }
      this.recent = this.recent.slice(-KEEP);
    } finally {
      await fh.close();
    }
  }

  /** Records one entry; resolves once its line is written (a failed write is logged, never thrown). */
  write(actor: string, action: string, target: string, detail: Record<string, unknown> = {}): Promise<void> {
    const e: AuditEntry = { t: new Date().toISOString(), actor, action, target, detail };
    this.recent.push(e);
    if (this.recent.length > KEEP) this.recent.splice(0, this.recent.length - KEEP);
    const line = `${JSON.stringify(e)}\n`;
    this.chain = this.chain.then(async () => {
      try {
        if (this.size + line.length > ROTATE_BYTES) {
          await fsp.rename(this.file, `${this.file}.1`).catch(() => {});
          this.size = 0;
        }
        await fsp.appendFile(this.file, line, { mode: 0o600 });
        this.size += Buffer.byteLength(line);
      } catch (err) {
        this.log.error("cannot write the audit log", { file: this.file, error: (err as Error).message });
      }
    });
    return this.chain;
  }

  /** Newest first. */
  list(limit: number): AuditEntry[] {
    return this.recent.slice(-limit).reverse();
  }

  flush(): Promise<void> {
    return this.chain;
  }
}
