import { closeSync, promises as fsp, readSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/schema.ts";
import { mkdirp } from "../protocol/atomic.ts";
import { EdgewatchError } from "../protocol/errors.ts";
import { isPlainObject, type JsonObject } from "../protocol/json.ts";
import { openRegularFile, openRegularFileSync } from "../protocol/read-file.ts";

/** Where jobs keep their files: `jobs.dir`, else `<state_dir>/jobs`. */
export function jobsDir(config: Pick<Config, "state_dir" | "jobs">): string {
  return config.jobs.dir ?? join(config.state_dir, "jobs");
}

export const jobsLayout = (dir: string) => ({
  dir,
  ledger: join(dir, "ledger.jsonl"),
  deadLetters: join(dir, "dead-letter.jsonl"),
  locks: join(dir, "locks"),
  lock: (name: string) => join(dir, "locks", `${name}.pid`),
});

/** One attempt of one job run, as `edgewatch run` records it. */
export interface AttemptRecord {
  type: "attempt";
  job: string;
  /** Identifies the `edgewatch run` invocation (all its attempts share it). */
  run_id: string;
  attempt: number;
  max_attempts: number;
  started_at: string;
  ended_at: string;
  duration_s: number;
  exit_code: number | null;
  signal: string | null;
  result: "success" | "failure" | "timeout";
  /** The last lines the command wrote (stdout and stderr interleaved). */
  output_tail: string[];
  /** When a retry follows, the wait before it. */
  retry_in_s?: number;
  /** The schedule declared with --every/--grace (so the agent knows it after a reboot). */
  every_s?: number;
  grace_s?: number;
}

/** Written after the last attempt failed: the job needs a human (or a later run). */
export interface DeadLetterRecord {
  type: "dead_letter";
  job: string;
  run_id: string;
  at: string;
  attempts: number;
  command: string[];
  exit_code: number | null;
  signal: string | null;
  output_tail: string[];
}

export type LedgerRecord = AttemptRecord | DeadLetterRecord;

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

  async append(record: JsonObject | LedgerRecord): Promise<void> {
    await this.appendMany([record]);
  }

  /** Appends records as one write (a few MiB at most per call in practice). */
  async appendMany(records: (JsonObject | LedgerRecord)[]): Promise<void> {
    const line = records.map((r) => `${JSON.stringify(r)}\n`).join("");
    try {
      await mkdirp(join(this.path, ".."));
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
    await fsp.rename(this.path, `${this.path}.1`).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err; // another writer rotated it first
    });
  }

  /** The last records (newest last), read from at most `maxBytes` of the file's end; bad lines are skipped. */
  async tail(limit = 100, maxBytes = 256 * 1024): Promise<JsonObject[]> {
    return readTail(this.path, limit, maxBytes);
  }
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
    const out: JsonObject[] = [];
    for (const line of text.split("\n")) {
      if (!line) continue;
      try {
        const v = JSON.parse(line);
        if (isPlainObject(v)) out.push(v);
      } catch {
        // a torn line from a crash mid-write: skip it
      }
    }
    return out.slice(-limit);
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

/** The jobs ledger of one jobs dir. */
export function openLedger(dir: string, maxBytes: number) {
  const l = jobsLayout(dir);
  return {
    ledger: new JsonLinesFile(l.ledger, maxBytes),
    deadLetters: new JsonLinesFile(l.deadLetters, maxBytes),
  };
}

export interface LedgerSummary {
  /** Each job's last success, epoch ms. */
  successes: Map<string, number>;
  /** Each job's newest declared --every/--grace, ms. */
  schedules: Map<string, { everyMs: number; graceMs: number }>;
}

/**
 * Each job's last success and declared schedule from the ledger's last 256 KiB, read once at
 * startup (the status fragments live on a tmpfs and are gone after a reboot; the ledger is not).
 * Sync on purpose: it runs once, before any timer, and is bounded.
 */
export function ledgerSummarySync(dir: string, maxBytes = 256 * 1024): LedgerSummary {
  const out: LedgerSummary = { successes: new Map(), schedules: new Map() };
  let fd: number;
  let size: number;
  try {
    ({
      fd,
      stat: { size },
    } = openRegularFileSync(jobsLayout(dir).ledger));
  } catch {
    return out; // missing, or not a regular file: no history to start from
  }
  try {
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    for (const line of buf.toString("utf8").split("\n")) {
      if (!line.includes('"attempt"')) continue;
      try {
        const v = JSON.parse(line);
        if (v?.type !== "attempt" || typeof v.job !== "string") continue;
        if (typeof v.every_s === "number" && v.every_s > 0) {
          out.schedules.set(v.job, { everyMs: v.every_s * 1000, graceMs: (Number(v.grace_s) || 0) * 1000 });
        }
        if (v.result !== "success") continue;
        const at = Date.parse(v.ended_at);
        if (!Number.isNaN(at) && at > (out.successes.get(v.job) ?? 0)) out.successes.set(v.job, at);
      } catch {
        // partial first line or a torn line
      }
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** Each job's last success (epoch ms) from the ledger; see ledgerSummarySync. */
export function lastSuccessesSync(dir: string, maxBytes = 256 * 1024): Map<string, number> {
  return ledgerSummarySync(dir, maxBytes).successes;
}
