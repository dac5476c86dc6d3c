import { promises as fsp } from "node:fs";
import { dirname } from "node:path";
import { scrubDeep } from "../../config/secrets.ts";
import { mkdirp } from "../../protocol/atomic.ts";

const ROTATE_BYTES = 1024 * 1024;
const TAIL_READ_BYTES = 64 * 1024;

/**
 * An append-only JSON-lines file (recovery log, audit log) that survives agent restarts and
 * reboots: each line is appended (O_APPEND) as soon as it is written; past 1 MiB the file is
 * renamed to `<file>.1` (one generation kept). The last `keep` lines are also kept in memory
 * for GET /api/recovery, loaded from the file's end at start.
 */
export class JsonLinesLog<T extends object> {
  private readonly tailLines: T[] = [];
  private size = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly keep = 100,
  ) {}

  async open(): Promise<void> {
    await mkdirp(dirname(this.path));
    let fh: fsp.FileHandle | undefined;
    try {
      fh = await fsp.open(this.path, "r");
      const st = await fh.stat();
      this.size = st.size;
      const len = Math.min(st.size, TAIL_READ_BYTES);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, st.size - len);
      const lines = buf.toString("utf8").split("\n");
      if (len < st.size) lines.shift(); // partial first line
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          this.remember(JSON.parse(line) as T);
        } catch {
          // a torn last line after a power cut: skip it
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    } finally {
      await fh?.close();
    }
  }

  /**
   * Appends one line; resolves once it is in the file. Lines are written in call order. A secret of
   * the loaded config (an argv's password, a header's token) is replaced by <redacted> first.
   */
  append(raw: T): Promise<void> {
    const entry = scrubDeep(raw);
    this.remember(entry);
    const line = `${JSON.stringify(entry)}\n`;
    const next = this.chain.then(async () => {
      if (this.size + line.length > ROTATE_BYTES && this.size > 0) {
        await fsp.rename(this.path, `${this.path}.1`).catch(() => {});
        this.size = 0;
      }
      await fsp.appendFile(this.path, line);
      this.size += Buffer.byteLength(line);
    });
    this.chain = next.catch(() => {});
    return next;
  }

  tail(n = this.keep): T[] {
    return this.tailLines.slice(-n);
  }

  private remember(entry: T): void {
    this.tailLines.push(entry);
    if (this.tailLines.length > this.keep) this.tailLines.splice(0, this.tailLines.length - this.keep);
  }
}
