import { type FSWatcher, promises as fsp, watch } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Logger } from "../../lib/log.ts";

/** Where reading of one log file stands: its inode and the byte offset after the last whole line. */
export interface Position {
  ino: number;
  offset: number;
}

export interface FollowOptions {
  path: string;
  /** Saved position from a previous run, if any. */
  from?: Position;
  /** Longest line kept whole; longer ones are cut (Loki refuses lines over 256 KiB). */
  maxLine: number;
  log: Logger;
  onLine(line: string): void;
}

const CHUNK = 64 * 1024;

/**
 * Follows one log file with inotify (a watch on its folder, so a rename or a re-created file is seen),
 * line by line, from a saved position. Rotation-safe: the old file is read to its end through the
 * descriptor still open on it before the new one is read from its start; after a restart, a rotated
 * file still holding unread lines is found in the same folder by its inode.
 */
export class Follower {
  private fh: fsp.FileHandle | null = null;
  private ino = 0;
  private offset = 0;
  /** Bytes after the last newline: a line still being written. */
  private rest = Buffer.alloc(0);
  /** Inside an over-long line whose start was already sent. */
  private skipping = false;
  private watcher: FSWatcher | null = null;
  private reading: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly o: FollowOptions) {}

  get position(): Position {
    return { ino: this.ino, offset: this.offset };
  }

  async start(): Promise<void> {
    const from = this.o.from;
    if (from) {
      const st = await fsp.stat(this.o.path).catch(() => null);
      if (st && st.ino === from.ino) {
        await this.open(this.o.path, st.size < from.offset ? 0 : from.offset);
      } else {
        // Rotated while the agent was away: finish the old file first, if it is still in the folder.
        const old = await this.findIno(from.ino);
        if (old) {
          await this.open(old, from.offset);
          await this.readToEnd();
          await this.close();
        }
        if (st) await this.open(this.o.path, 0);
      }
    } else if (await fsp.stat(this.o.path).catch(() => null)) await this.open(this.o.path, 0);
    try {
      this.watcher = watch(dirname(this.o.path), (_ev, file) => {
        if (!file || file === basename(this.o.path) || this.fh === null) this.wake();
      });
      this.watcher.on("error", (err) => this.o.log.warn(`log follow ${this.o.path}: ${err.message}`));
    } catch (err) {
      // A missing folder costs this log only, not the export: the rest keeps running.
      this.o.log.warn(
        `log follow: cannot watch ${dirname(this.o.path)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ${this.o.path} is not followed until the agent restarts`,
      );
    }
    this.wake();
  }

  private async findIno(ino: number): Promise<string | null> {
    const dir = dirname(this.o.path);
    for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
      const st = await fsp.stat(join(dir, name)).catch(() => null);
      if (st?.isFile() && st.ino === ino) return join(dir, name);
    }
    return null;
  }

  private async open(path: string, offset: number): Promise<void> {
    this.fh = await fsp.open(path, "r");
    this.ino = (await this.fh.stat()).ino;
    this.offset = offset;
    this.rest = Buffer.alloc(0);
    this.skipping = false;
  }

  private async close(): Promise<void> {
    await this.fh?.close().catch(() => {});
    this.fh = null;
  }

  /** Read what is new; coalesced so that reads never overlap. */
  wake(): void {
    this.reading = this.reading
      .then(() => this.step())
      .catch((err: Error) => {
        this.o.log.warn(`log follow ${this.o.path}: ${err.message}`);
      });
  }

  private async step(): Promise<void> {
    if (this.stopped) return;
    if (this.fh) await this.readToEnd();
    const st = await fsp.stat(this.o.path).catch(() => null);
    if (!st) return;
    if (this.fh && st.ino === this.ino) {
      if (st.size < this.offset) await this.open(this.o.path, 0); // truncated in place (copytruncate)
      return;
    }
    // A new file at the path: the old one was read to its end above.
    await this.close();
    await this.open(this.o.path, 0);
    await this.readToEnd();
  }

  private async readToEnd(): Promise<void> {
    const fh = this.fh as fsp.FileHandle;
    const buf = Buffer.alloc(CHUNK);
    let pos = this.offset + this.rest.length;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      const data = this.rest.length
        ? Buffer.concat([this.rest, buf.subarray(0, bytesRead)])
        : buf.subarray(0, bytesRead);
      let from = 0;
      for (let nl = data.indexOf(10, from); nl >= 0; nl = data.indexOf(10, from)) {
        const end = nl > from && data[nl - 1] === 13 ? nl - 1 : nl;
        this.offset += nl - from + 1;
        if (this.skipping) this.skipping = false;
        else this.o.onLine(data.toString("utf8", from, end));
        from = nl + 1;
      }
      this.rest = Buffer.from(data.subarray(from));
      if (this.rest.length > this.o.maxLine) {
        // An over-long line: its start goes out now (cut by the caller), the rest is skipped to its newline.
        this.offset += this.rest.length;
        if (!this.skipping) this.o.onLine(this.rest.toString("utf8"));
        this.skipping = true;
        this.rest = Buffer.alloc(0);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    await this.reading;
    await this.close();
  }
}
