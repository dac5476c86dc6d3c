import { promises as fsp, readFileSync, watch } from "node:fs";
import { dirname } from "node:path";
import { mkdirp } from "../protocol/atomic.ts";
import { EdgewatchError } from "../protocol/errors.ts";

/** What a lock file holds: the owner's pid and its start time (to survive pid reuse). */
interface LockOwner {
  pid: number;
  /** /proc/<pid>/stat start time in clock ticks; null off Linux. */
  start: string | null;
  since: string;
}

function procStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // the command name (field 2) may contain spaces and parentheses: split after the last ")"
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null; // field 22 overall: starttime
  } catch {
    return null;
  }
}

function alive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    // EPERM: exists but not ours: treat as alive
  }
  if (owner.start === null) return true;
  const now = procStart(owner.pid);
  return now === null || now === owner.start; // a different start time = pid reused by another process
}

export class LockBusyError extends EdgewatchError {
  constructor(
    readonly path: string,
    readonly ownerPid: number,
    readonly since: string,
  ) {
    super("EW_JOB_RUNNING", `already running (pid ${ownerPid} since ${since}, lock ${path})`);
  }
}

export interface Lock {
  release(): Promise<void>;
}

/**
 * Take a pid-file lock: created with O_EXCL; a lock whose owner died (or whose pid now belongs to
 * another process) is stale and is taken over. Throws LockBusyError while the owner lives.
 */
export async function acquireLock(path: string): Promise<Lock> {
  await mkdirp(dirname(path));
  const me: LockOwner = { pid: process.pid, start: procStart(process.pid), since: new Date().toISOString() };
  for (let i = 0; i < 5; i++) {
    // write the owner to a temp file, then link() it into place: the lock appears whole or not at all
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      await fsp.writeFile(tmp, JSON.stringify(me));
      try {
        await fsp.link(tmp, path);
      } finally {
        await fsp.unlink(tmp).catch(() => {});
      }
      return {
        release: async () => {
          // remove only our own lock
          const cur = await readOwner(path);
          if (cur && cur.pid === me.pid && cur.start === me.start) await fsp.unlink(path).catch(() => {});
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new EdgewatchError("EW_LOCK", `cannot create lock ${path}: ${(err as Error).message}`, { cause: err });
      }
    }
    const owner = await readOwner(path);
    if (owner && alive(owner)) throw new LockBusyError(path, owner.pid, owner.since);
    // stale (owner gone) or unreadable (torn by a crash): remove and retry; O_EXCL settles races
    await fsp.unlink(path).catch(() => {});
  }
  throw new EdgewatchError("EW_LOCK", `cannot take lock ${path}: it keeps being re-created`);
}

/** Wait for the lock (queued runs): woken by inotify on the lock folder, plus a check every 5 s for a dead owner. */
export async function waitForLock(path: string): Promise<Lock> {
  for (;;) {
    try {
      return await acquireLock(path);
    } catch (err) {
      if (!(err instanceof LockBusyError)) throw err;
    }
    await new Promise<void>((resolve) => {
      const w = watch(dirname(path), () => done());
      const t = setTimeout(() => done(), 5000);
      function done() {
        clearTimeout(t);
        w.close();
        resolve();
      }
    });
  }
}

async function readOwner(path: string): Promise<LockOwner | null> {
  try {
    const v = JSON.parse(await fsp.readFile(path, "utf8"));
    if (typeof v?.pid === "number") return { pid: v.pid, start: v.start ?? null, since: String(v.since ?? "?") };
  } catch {
    // missing or torn
  }
  return null;
}
