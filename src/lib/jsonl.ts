import { promises as fsp } from "node:fs";
import { dirname } from "node:path";
import { mkdirp } from "../protocol/atomic.ts";
import { EdgewatchError } from "../protocol/errors.ts";
import { isPlainObject, type JsonObject } from "../protocol/json.ts";
import { openRegularFile, readRegularFile } from "../protocol/read-file.ts";

/** A ledger rotates long before this; a regular file over it is refused, not read whole. */
const READ_ALL_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Append-only JSON-lines file, bounded: once it passes `maxBytes` it is renamed to `<file>.1`
 * (replacing the previous one) and a new file starts. Each append is one write() of one line
 * with O_APPEND, so concurrent writers (different jobs) never interleave within a line.
 */
export class JsonLinesFile {
  constructor(
    readonly path: string,
    readonly maxBytes: number,
  ) {}

  async append(record: object): Promise<void> {
    await this.appendMany([record]);
  }

  /** Appends records as one write (a few MiB at most per call in practice). */
  async appendMany(records: object[]): Promise<void> {
    const line = records.map((r) => `${JSON.stringify(r)}\n`).join("");
    try {
      await mkdirp(dirname(this.path));
      await this.rotateIfNeeded();
      const fh = await fsp.open(this.path, "a+");
      try {
        // a writer killed mid-line leaves no newline: start on a fresh line so this record survives
        const { size } = await fh.stat();
        const last = Buffer.alloc(1);
        if (size > 0) await fh.read(last, 0, 1, size - 1);
        await fh.appendFile(size > 0 && last[0] !== 0x0a ? `\n${line}` : line);
      } finally {
        await fh.close();
      }
    } catch (err) {
      throw new EdgewatchError("EW_LEDGER_WRITE", `cannot append to ${this.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private async rotateIfNeeded(): Promise<void> {
    let size: number;
    try {
      size = (await fsp.stat(this.path)).size;
    } catch {
      return;
    }
    if (size < this.maxBytes) return;
    await fsp.rename(this.path, rotatedPath(this.path)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err; // another writer rotated it first
    });
  }

  /** The last records (newest last), read from at most `maxBytes` of the file's end; bad lines are skipped. */
  async tail(limit = 100, maxBytes = 256 * 1024): Promise<JsonObject[]> {
    return readTail(this.path, limit, maxBytes);
  }
}

/** The one older generation a rotating JSON-lines file keeps. */
export const rotatedPath = (path: string) => `${path}.1`;

/** The JSON objects of a JSON-lines text, in order; torn or non-object lines are skipped. */
export function parseJsonLines(text: string): JsonObject[] {
  const out: JsonObject[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line);
      if (isPlainObject(v)) out.push(v);
    } catch {
      // a torn line from a crash mid-write: skip it
    }
  }
  return out;
}

/**
 * Every record of a rotating JSON-lines file, oldest first: the rotated `<file>.1`, then `<file>`.
 * Missing files are empty. For whole-ledger questions ("was this file ever verified?"); a
 * record that moved into `.1` at rotation still counts.
 */
export async function readJsonLines(path: string): Promise<JsonObject[]> {
  const read = (p: string) =>
    readRegularFile(p, READ_ALL_MAX_BYTES).then(
      (r) => r.buf.toString("utf8"),
      (err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return "";
        throw err;
      },
    );
  const [older, current] = await Promise.all([read(rotatedPath(path)), read(path)]);
  return [...parseJsonLines(older), ...parseJsonLines(current)];
}

/** Bounded read of a JSON-lines file's last records. A missing file is empty. */
export async function readTail(path: string, limit: number, maxBytes = 256 * 1024): Promise<JsonObject[]> {
  let fh: fsp.FileHandle;
  let size: number;
  try {
    ({
      fh,
      stat: { size },
    } = await openRegularFile(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  try {
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    let text = buf.toString("utf8");
    if (start > 0) text = text.slice(text.indexOf("\n") + 1); // drop the partial first line
    return parseJsonLines(text).slice(-limit);
  } finally {
    await fh.close();
  }
}

/**
 * readTail for the read routes: a ledger that cannot be read (a FIFO, a symlink or a directory at its
 * path, no permission) reads as empty and its problem is returned, never thrown; `warn` hears of each
 * file's problem once, and again only after the file was readable in between.
 */
export function ledgerTailReader(warn: (message: string, fields: JsonObject) => void) {
  const reported = new Map<string, string>();
  return async (path: string, limit: number): Promise<{ records: JsonObject[]; problem: string | null }> => {
    try {
      const records = await readTail(path, limit);
      reported.delete(path);
      return { records, problem: null };
    } catch (err) {
      const problem = (err as Error).message.startsWith(path)
        ? (err as Error).message
        : `${path}: ${(err as Error).message}`;
      if (reported.get(path) !== problem) {
        reported.set(path, problem);
        warn("ledger not read: answering without its records", { file: path, reason: problem });
      }
      return { records: [], problem };
    }
  };
}
