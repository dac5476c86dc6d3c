import { createHash } from "node:crypto";
import { createReadStream, promises as fsp } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { withJitter } from "../lib/backoff.ts";
import { type ProcessGroup, spawnGroup } from "../lib/spawn.ts";
import { EdgewatchError } from "../protocol/errors.ts";
import { emitEvent } from "../protocol/events.ts";
import { parseFragment, writeFragment } from "../protocol/fragment.ts";
import { isPlainObject, type JsonObject } from "../protocol/json.ts";
import { MAX_FRAGMENT_BYTES } from "../protocol/names.ts";
import { layout } from "../protocol/paths.ts";
import { readRegularFile } from "../protocol/read-file.ts";
import { jobsLayout } from "./ledger.ts";
import { acquireLock } from "./lock.ts";
import { formatMs } from "./run.ts";
import { TransferLedger, type VerifiedFile } from "./transfer-ledger.ts";

export interface TransferOptions {
  /** Local directory (its contents are copied) or a single local file. */
  src: string;
  /** Local directory, or [user@]host:path over ssh. */
  dest: string;
  deleteSource: boolean;
  retries: number;
  backoffMs: number[];
  /** rsync --bwlimit in KiB/s. */
  bwlimitKiB?: number;
  /** rsync --timeout (I/O stall), seconds. */
  ioTimeoutS?: number;
  /** Name of this transfer (status source transfer-<name>, lock). */
  name: string;
  stateDir: string;
  jobsDir: string;
  statusDir: string;
  rsync?: string;
  log?: (msg: string) => void;
  jitter?: number;
}

export interface TransferSummary {
  status: "success" | "failed";
  src: string;
  dest: string;
  attempts: number;
  files: number;
  bytes: number;
  verified: number;
  failed: number;
  deleted: number;
  started_at: string;
  ended_at: string;
  error: string | null;
}

interface SourceFile {
  abs: string;
  rel: string;
  size: number;
  mtimeMs: number;
}

const REMOTE_RE = /^(?:[^@/:\s]+@)?[^/:\s]+:/;

export function isRemote(dest: string): boolean {
  return REMOTE_RE.test(dest);
}

/** Files verified at once: overlaps one file's reads with another's hashing. */
const VERIFY_LANES = 2;

export function sha256File(path: string): Promise<string> {
  return new Promise((resolveHash, reject) => {
    const h = createHash("sha256");
    createReadStream(path, { highWaterMark: 1024 * 1024 })
      .on("data", (c) => h.update(c))
      .on("error", reject)
      .on("end", () => resolveHash(h.digest("hex")));
  });
}

/** Every regular file under `root` (or `root` itself when it is a file). */
async function listSource(root: string): Promise<{ files: SourceFile[]; isDir: boolean }> {
  let st: Awaited<ReturnType<typeof fsp.stat>>;
  try {
    st = await fsp.stat(root);
  } catch (err) {
    throw new EdgewatchError("EW_TRANSFER_SRC", `source ${root}: ${(err as Error).message}`);
  }
  if (st.isFile()) {
    const name = root.split(sep).pop() as string;
    return { files: [{ abs: root, rel: name, size: st.size, mtimeMs: Math.trunc(st.mtimeMs) }], isDir: false };
  }
  if (!st.isDirectory()) throw new EdgewatchError("EW_TRANSFER_SRC", `source ${root}: expected a file or a directory`);
  const out: SourceFile[] = [];
  async function walk(dir: string): Promise<void> {
    for (const ent of await fsp.readdir(dir, { withFileTypes: true })) {
      const abs = join(dir, ent.name);
      if (ent.isDirectory()) await walk(abs);
      else if (ent.isFile()) {
        const s = await fsp.stat(abs);
        out.push({ abs, rel: relative(root, abs), size: s.size, mtimeMs: Math.trunc(s.mtimeMs) });
      }
    }
  }
  await walk(root);
  out.sort((a, b) => a.rel.localeCompare(b.rel));
  return { files: out, isDir: true };
}

interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderrTail: string;
  spawnError?: string;
}

async function runProc(
  cmd: string,
  args: string[],
  keepStdout: boolean,
  onChild?: (c: ProcessGroup | null) => void,
): Promise<ProcResult> {
  let stdout = "";
  let stderr = "";
  // its own process group: a stop reaches rsync's ssh too
  const child = spawnGroup([cmd, ...args], {
    onStdout: (c) => {
      if (keepStdout) stdout += c.toString("utf8");
    },
    onStderr: (c) => {
      stderr = (stderr + c.toString("utf8")).slice(-4000);
    },
  });
  onChild?.(child);
  const x = await child.exited;
  onChild?.(null);
  return {
    code: x.code,
    signal: x.signal,
    stdout,
    stderrTail: stderr.trim(),
    ...(x.spawnError ? { spawnError: `cannot start ${cmd}: ${x.spawnError.message}` } : {}),
  };
}

/**
 * Copies SRC to DEST with rsync, verifies every file by checksum, records each verified file in the
 * transfer ledger and only then (with deleteSource) deletes that source file. A broken rsync or a
 * file that does not verify fails the attempt; attempts are retried with backoff (a retry after a
 * mismatch runs rsync --checksum, so a same-size, same-mtime corrupt copy is replaced). Unverified
 * source files are never deleted; nothing is deleted unless the whole transfer verified.
 */
export class Transfer {
  private readonly o: TransferOptions & { log: (m: string) => void; jitter: number; rsync: string };
  private readonly ledger: TransferLedger;
  private fragment: JsonObject = {};
  private child: ProcessGroup | null = null;
  private stopped: NodeJS.Signals | null = null;
  private wake: (() => void) | null = null;

  /** SIGTERM/SIGINT: stop rsync and do not retry (nothing unverified is ever deleted). */
  signal(sig: NodeJS.Signals): void {
    this.stopped = sig;
    this.child?.kill(sig);
    this.wake?.();
  }

  constructor(opts: TransferOptions) {
    this.o = {
      log: (m) => process.stderr.write(`edgewatch transfer: ${m}\n`),
      jitter: 0.2,
      rsync: "rsync",
      ...opts,
      src: resolve(opts.src),
      dest: isRemote(opts.dest) ? opts.dest : resolve(opts.dest),
    };
    this.ledger = new TransferLedger(opts.stateDir);
  }

  private rsyncArgs(isDir: boolean, extra: string[]): string[] {
    const o = this.o;
    const args = ["-a", `--timeout=${o.ioTimeoutS ?? 120}`, ...extra];
    if (o.bwlimitKiB) args.push(`--bwlimit=${o.bwlimitKiB}`);
    if (isRemote(o.dest)) args.push("-e", "ssh -o BatchMode=yes -o ConnectTimeout=15");
    // a directory's contents go into DEST; a single file goes into the DEST directory
    args.push(isDir ? `${o.src}/` : o.src, `${o.dest.replace(/\/+$/, "")}/`);
    return args;
  }

  private destPathOf(f: SourceFile): string {
    return `${this.o.dest.replace(/\/+$/, "")}/${f.rel}`;
  }

  async run(): Promise<TransferSummary> {
    const o = this.o;
    const lock = await acquireLock(jobsLayout(o.jobsDir).lock(`transfer-${o.name}`));
    try {
      return await this.attempts();
    } finally {
      await lock.release();
    }
  }

  private async attempts(): Promise<TransferSummary> {
    const o = this.o;
    await this.loadFragment();
    const startedAt = new Date().toISOString();
    const max = o.retries + 1;
    let useChecksum = false;
    let summary: TransferSummary | null = null;
    await this.setStatus({ last_status: "running", last_start: startedAt, src: o.src, dest: o.dest });
    for (let attempt = 1; attempt <= max; attempt++) {
      const { files, isDir } = await listSource(o.src);
      const bytes = files.reduce((n, f) => n + f.size, 0);
      const base = { src: o.src, dest: o.dest, attempts: attempt, files: files.length, bytes, started_at: startedAt };
      let error: string | null = null;
      const rs = await runProc(o.rsync, this.rsyncArgs(isDir, useChecksum ? ["--checksum"] : []), false, (c) => {
        this.child = c;
      });
      if (rs.spawnError) error = rs.spawnError;
      else if (rs.code !== 0) {
        error = `rsync ${rs.signal ? `was killed by ${rs.signal}` : `exited with ${rs.code}`}${rs.stderrTail ? `: ${lastLine(rs.stderrTail)}` : ""}`;
      }
      // verify what is there, even after a broken rsync: verified files are recorded (never deleted yet)
      // (a remote that rsync could not reach is not asked again for the dry run)
      const { verified, failed, verifyError } =
        error && isRemote(o.dest)
          ? { verified: [], failed: files, verifyError: null }
          : await this.verify(files, isDir);
      if (!error && verifyError) error = verifyError;
      if (!error && failed.length) {
        error = `${failed.length} file${failed.length === 1 ? "" : "s"} did not verify (first: ${failed[0]?.rel})`;
        useChecksum = true;
      }
      const now = new Date().toISOString();
      await this.ledger.recordAll(verified.map((v) => ({ ...v, verified_at: now })));
      let deleted = 0;
      if (!error && o.deleteSource) deleted = await this.deleteVerified(files, verified);
      summary = {
        ...base,
        status: error ? "failed" : "success",
        verified: verified.length,
        failed: files.length - verified.length,
        deleted,
        ended_at: new Date().toISOString(),
        error,
      };
      await this.recordTotals(summary, !error);
      if (!error) {
        await this.setStatus({
          ...this.summaryFields(summary),
          last_status: "success",
          last_success: summary.ended_at,
        });
        return summary;
      }
      if (attempt < max && !this.stopped) {
        const waitMs = withJitter(o.backoffMs[Math.min(attempt - 1, o.backoffMs.length - 1)] ?? 0, o.jitter);
        o.log(`attempt ${attempt}/${max} failed: ${error}; retrying in ${formatMs(waitMs)}`);
        await this.setStatus({ ...this.summaryFields(summary), last_status: "retrying" });
        await this.event("warning", "XFER-RETRY", `transfer ${o.name} attempt ${attempt}/${max} failed: ${error}`);
        if (waitMs > 0 && !this.stopped) {
          await new Promise<void>((r) => {
            const t = setTimeout(r, waitMs);
            this.wake = () => {
              clearTimeout(t);
              r();
            };
          });
          this.wake = null;
        }
        if (this.stopped) {
          error = `stopped by ${this.stopped}`;
          await this.setStatus({ ...this.summaryFields({ ...summary, error }), last_status: "failed" });
          return { ...summary, status: "failed", error };
        }
        continue;
      }
      o.log(`attempt ${attempt}/${max} failed: ${error}; giving up (no source file was deleted)`);
      // The last few failure times: the agent's transfer_failures rule counts those within a window.
      const recent = Array.isArray(this.cur().recent_failures) ? (this.cur().recent_failures as unknown[]) : [];
      await this.setStatus({
        ...this.summaryFields(summary),
        last_status: "failed",
        last_failure: summary.ended_at,
        recent_failures: [...recent.filter((x) => typeof x === "string"), summary.ended_at].slice(-20),
      });
      await this.event(
        "error",
        "XFER-FAIL",
        `transfer ${o.name} to ${o.dest} failed after ${attempt} attempt${attempt === 1 ? "" : "s"}: ${error}`,
        { verified: summary.verified, failed: summary.failed },
      );
      break; // the last attempt, or stopped by a signal
    }
    return summary as TransferSummary;
  }

  /** Checksums: both sides hashed when local; rsync --checksum --dry-run --itemize-changes when remote. */
  private async verify(
    files: SourceFile[],
    isDir: boolean,
  ): Promise<{ verified: Omit<VerifiedFile, "verified_at">[]; failed: SourceFile[]; verifyError: string | null }> {
    const verified: Omit<VerifiedFile, "verified_at">[] = [];
    const failed: SourceFile[] = [];
    let differing: Set<string> | null = null;
    if (isRemote(this.o.dest)) {
      const r = await runProc(
        this.o.rsync,
        this.rsyncArgs(isDir, ["--checksum", "--dry-run", "--itemize-changes"]),
        true,
      );
      if (r.code !== 0 || r.spawnError) {
        return {
          verified,
          failed: files,
          verifyError: `verification failed: ${r.spawnError ?? `rsync exited with ${r.code}: ${lastLine(r.stderrTail)}`}`,
        };
      }
      differing = parseItemized(r.stdout);
    }
    const checkOne = async (f: SourceFile): Promise<void> => {
      // source and copy are read at the same time (the disk works while the CPU hashes)
      const [srcHash, destHash] = await Promise.all([
        sha256File(f.abs).catch(() => null), // vanished or unreadable: not verified
        differing ? Promise.resolve(null) : sha256File(this.destPathOf(f)).catch(() => null),
      ]);
      const ok = srcHash !== null && (differing ? !differing.has(f.rel) : destHash === srcHash);
      if (ok) {
        verified.push({ path: f.abs, size: f.size, mtime_ms: f.mtimeMs, sha256: srcHash, dest: this.destPathOf(f) });
      } else failed.push(f);
    };
    let next = 0;
    const lanes = Array.from({ length: Math.min(VERIFY_LANES, files.length) }, async () => {
      while (next < files.length) await checkOne(files[next++] as SourceFile);
    });
    await Promise.all(lanes);
    verified.sort((a, b) => a.path.localeCompare(b.path));
    return { verified, failed, verifyError: null };
  }

  /** Deletes only verified files that are unchanged since they were hashed. */
  private async deleteVerified(files: SourceFile[], verified: Omit<VerifiedFile, "verified_at">[]): Promise<number> {
    const ok = new Set(verified.map((v) => v.path));
    let n = 0;
    for (const f of files) {
      if (!ok.has(f.abs)) continue;
      try {
        const st = await fsp.stat(f.abs);
        if (st.size !== f.size || Math.trunc(st.mtimeMs) !== f.mtimeMs) {
          this.o.log(`${f.abs} changed after it was verified: kept`);
          continue;
        }
        await fsp.unlink(f.abs);
        n++;
      } catch (err) {
        this.o.log(`cannot delete ${f.abs}: ${(err as Error).message}`);
      }
    }
    return n;
  }

  private summaryFields(s: TransferSummary): JsonObject {
    return {
      src: s.src,
      dest: s.dest,
      last_end: s.ended_at,
      attempts: s.attempts,
      files: s.files,
      bytes: s.bytes,
      verified: s.verified,
      failed: s.failed,
      deleted: s.deleted,
      last_error: s.error,
    };
  }

  private cur(): JsonObject {
    const t = this.fragment.transfers;
    const me = isPlainObject(t) ? t[this.o.name] : undefined;
    return isPlainObject(me) ? me : {};
  }

  private async recordTotals(s: TransferSummary, ok: boolean): Promise<void> {
    const t = isPlainObject(this.cur().totals) ? (this.cur().totals as JsonObject) : {};
    const n = (k: string) => Number(t[k] ?? 0);
    await this.setStatus({
      totals: {
        verified_files: n("verified_files") + s.verified,
        failed_files: n("failed_files") + (ok ? 0 : s.failed),
        deleted_files: n("deleted_files") + s.deleted,
        verified_bytes: n("verified_bytes") + (ok ? s.bytes : 0),
        attempts: n("attempts") + 1,
      },
    });
  }

  private async loadFragment(): Promise<void> {
    try {
      // the status dir is writable by others: a regular file only, shape-checked like the agent's reads
      const path = layout(this.o.statusDir).fragment(`transfer-${this.o.name}`);
      this.fragment = parseFragment((await readRegularFile(path, MAX_FRAGMENT_BYTES)).buf, 0).data;
    } catch {
      this.fragment = {};
    }
  }

  private async setStatus(patch: JsonObject): Promise<void> {
    this.fragment = {
      ...this.fragment,
      transfers: { [this.o.name]: { ...this.cur(), ...patch } },
      updated_at: new Date().toISOString(),
    };
    try {
      await writeFragment(`transfer-${this.o.name}`, this.fragment, { dir: this.o.statusDir });
    } catch (err) {
      this.o.log(`warning: status not written: ${(err as Error).message}`);
    }
  }

  private async event(level: "warning" | "error", code: string, message: string, fields?: JsonObject): Promise<void> {
    try {
      await emitEvent(
        `transfer-${this.o.name}`,
        { level, code, message, fields: { src: this.o.src, dest: this.o.dest, ...fields } },
        { dir: this.o.statusDir },
      );
    } catch (err) {
      this.o.log(`warning: event not written: ${(err as Error).message}`);
    }
  }
}

/** Paths of regular files rsync --itemize-changes says it would (re)send: content differs or missing. */
export function parseItemized(out: string): Set<string> {
  const s = new Set<string>();
  for (const line of out.split("\n")) {
    const m = /^([<>ch.*])([fdLDS])(\S{9,10}) (.+)$/.exec(line);
    if (!m) continue;
    const [, update, type, , path] = m as unknown as [string, string, string, string, string];
    if (type === "f" && (update === "<" || update === ">" || update === "c")) s.add(path);
  }
  return s;
}

/** The lines of rsync's stderr that say what went wrong (ssh's own message comes first). */
function lastLine(text: string): string {
  const lines = text.split("\n").filter((l) => l.trim());
  const picked = lines.filter((l) => !/^rsync error: /.test(l)).slice(0, 2);
  return (picked.length ? picked : lines.slice(-1)).join(" / ");
}
