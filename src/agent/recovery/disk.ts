import { type FSWatcher, promises as fsp, watch } from "node:fs";
import { join, sep } from "node:path";
import { readJsonLines } from "../../lib/jsonl.ts";
import type { DiskConfig } from "./config.ts";

export interface DiskUsage {
  path: string;
  usedPercent: number;
  totalBytes: number;
  availBytes: number;
}

export interface Candidate {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

export interface DeletionEntry {
  path: string;
  size: number;
  mtime: string;
  dry_run: boolean;
}

export interface CleanupReport {
  time: string;
  triggered: boolean;
  dry_run: boolean;
  before: DiskUsage[];
  after: DiskUsage[];
  deleted: DeletionEntry[];
  freed_bytes: number;
  skipped_unverified: number;
  skipped_newest: number;
  /** Set when usage is still at/above the target after every eligible file went. */
  problem?: string;
}

export interface LedgerEntry {
  path: string;
  size: number;
  mtime_ms: number;
}

/** df's formula: used / (used + available to unprivileged users). */
export async function diskUsage(path: string): Promise<DiskUsage> {
  const s = await fsp.statfs(path);
  const used = (s.blocks - s.bfree) * s.bsize;
  const avail = s.bavail * s.bsize;
  const denom = used + avail;
  return { path, usedPercent: denom > 0 ? (used / denom) * 100 : 0, totalBytes: s.blocks * s.bsize, availBytes: avail };
}

/**
 * Reads the transfer ledger (JSON lines) with its rotated `.1` generation, so a file verified
 * before the last rotation still counts; the last entry for a path wins. Bad lines are skipped.
 */
export async function readLedger(file: string): Promise<Map<string, LedgerEntry>> {
  const out = new Map<string, LedgerEntry>();
  for (const v of await readJsonLines(file)) {
    if (typeof v.path === "string" && typeof v.size === "number" && typeof v.mtime_ms === "number") {
      out.set(v.path, { path: v.path, size: v.size, mtime_ms: v.mtime_ms });
    }
  }
  return out;
}

/**
 * Lists the regular files under `root` (already a realpath), oldest first, never following a
 * symlink (lstat; symlinked files and folders are skipped, so nothing outside `root` is reached).
 */
export async function listFiles(root: string): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const walk = async (dir: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isSymbolicLink()) continue;
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const st = await fsp.lstat(p).catch(() => null);
        if (st?.isFile()) out.push({ path: p, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev });
      }
    }
  };
  await walk(root);
  return out.sort((a, b) => a.mtimeMs - b.mtimeMs || a.path.localeCompare(b.path));
}

export interface DiskHooks {
  deleted(entry: DeletionEntry, reason: string): Promise<void>;
  finished(report: CleanupReport): Promise<void>;
  warn(msg: string): void;
}

/**
 * Disk safeguard. Past critical_percent, deletes the oldest eligible files of the configured folders
 * until usage is below target_percent. Eligible: a regular file inside a configured folder (by
 * realpath, symlinks never followed), not among its folder's newest `keep_newest`, and — with
 * verified_only — listed in the transfer ledger with the same size and mtime it has now.
 * Triggered by writes into the folders (inotify, coalesced) and a slow backstop timer.
 */
export class DiskSafeguard {
  private roots: string[] = [];
  /** realpath → { the configured spelling, st_dev } */
  private readonly rootInfo = new Map<string, { configured: string; dev: number }>();
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Timeout | null = null;
  private running: Promise<CleanupReport | null> | null = null;
  private stopped = false;
  last: CleanupReport | null = null;
  lastUsage: DiskUsage[] = [];

  constructor(
    private readonly cfg: DiskConfig,
    private readonly ledgerPath: string,
    private readonly hooks: DiskHooks,
  ) {}

  async start(): Promise<void> {
    for (const p of this.cfg.paths) {
      try {
        const real = await fsp.realpath(p);
        const st = await fsp.stat(real);
        if (!st.isDirectory()) throw new Error("not a folder");
        this.roots.push(real);
        this.rootInfo.set(real, { configured: p.replace(/\/+$/, ""), dev: st.dev });
        const w = watch(real, { persistent: false }, () => this.trigger());
        w.on("error", (err) => this.hooks.warn(`disk safeguard: watching ${real} failed: ${err.message}`));
        this.watchers.push(w);
      } catch (err) {
        this.hooks.warn(`disk safeguard: ${p}: expected an existing folder, got ${(err as Error).message}; skipped`);
      }
    }
    const tick = () => {
      this.timer = setTimeout(() => {
        void this.check().finally(() => !this.stopped && tick());
      }, this.cfg.check_every);
    };
    tick();
    // The first check runs in the background: a big folder must not hold up the agent's start.
    void this.check();
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watchers) w.close();
    if (this.timer) clearTimeout(this.timer);
    if (this.soon) clearTimeout(this.soon);
  }

  /** A write happened in a folder: check soon (at most once per second). */
  private trigger(): void {
    if (this.soon || this.stopped) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      void this.check();
    }, 1000);
  }

  /** Checks usage now and cleans up when critical. Concurrent calls share one run. */
  check(force = false): Promise<CleanupReport | null> {
    if (this.running) return this.running;
    this.running = this.run(force)
      .catch((err: Error) => {
        // e.g. an unreadable ledger: keep everything, say why, try again next time
        this.hooks.warn(`disk safeguard: check failed, nothing deleted: ${err.message}`);
        return null;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async usages(): Promise<DiskUsage[]> {
    const out: DiskUsage[] = [];
    for (const r of this.roots)
      out.push(await diskUsage(r).catch(() => ({ path: r, usedPercent: 0, totalBytes: 0, availBytes: 0 })));
    return out;
  }

  private async run(force: boolean): Promise<CleanupReport | null> {
    if (!this.roots.length) return null;
    const before = await this.usages();
    this.lastUsage = before;
    const critical = before.some((u) => u.usedPercent >= this.cfg.critical_percent);
    if (!critical && !force) return null;
    const report: CleanupReport = {
      time: new Date().toISOString(),
      triggered: true,
      dry_run: this.cfg.dry_run,
      before,
      after: before,
      deleted: [],
      freed_bytes: 0,
      skipped_unverified: 0,
      skipped_newest: 0,
    };
    const ledger = this.cfg.verified_only ? await readLedger(this.ledgerPath) : null;
    // Per root: eligible files oldest first.
    const eligible: { root: string; c: Candidate }[] = [];
    for (const root of this.roots) {
      const files = await listFiles(root);
      const keep = this.cfg.keep_newest;
      const old = keep > 0 ? files.slice(0, Math.max(0, files.length - keep)) : files;
      report.skipped_newest += files.length - old.length;
      for (const c of old) {
        if (!c.path.startsWith(root + sep)) continue;
        if (ledger) {
          const alt = (this.rootInfo.get(root)?.configured ?? root) + c.path.slice(root.length);
          const e = ledger.get(c.path) ?? ledger.get(alt);
          if (!e || e.size !== c.size || Math.abs(e.mtime_ms - c.mtimeMs) >= 1) {
            report.skipped_unverified++;
            continue;
          }
        }
        eligible.push({ root, c });
      }
    }
    eligible.sort((a, b) => a.c.mtimeMs - b.c.mtimeMs);
    // Usage per filesystem (st_dev); a dry run projects it by subtracting sizes.
    const devOf = (root: string) => this.rootInfo.get(root)?.dev ?? 0;
    const projected = new Map<number, DiskUsage>();
    for (const u of before) projected.set(devOf(u.path), u);
    const over = (u: DiskUsage) => u.usedPercent >= this.cfg.target_percent;
    for (const { root, c } of eligible) {
      let u = projected.get(devOf(root)) as DiskUsage;
      if (!over(u)) continue;
      const entry: DeletionEntry = {
        path: c.path,
        size: c.size,
        mtime: new Date(c.mtimeMs).toISOString(),
        dry_run: this.cfg.dry_run,
      };
      const reason = `disk ${u.usedPercent.toFixed(1)} % used (critical ${this.cfg.critical_percent} %, target ${this.cfg.target_percent} %); oldest eligible file`;
      if (this.cfg.dry_run) {
        const total = u.totalBytes || 1;
        u = { ...u, usedPercent: u.usedPercent - (c.size / total) * 100, availBytes: u.availBytes + c.size };
      } else {
        // Re-check right before deleting: same file (inode), still regular, still not a symlink.
        const st = await fsp.lstat(c.path).catch(() => null);
        if (!st?.isFile() || st.ino !== c.ino || st.dev !== c.dev || st.size !== c.size || st.mtimeMs !== c.mtimeMs)
          continue;
        try {
          await fsp.unlink(c.path);
        } catch (err) {
          this.hooks.warn(`disk safeguard: could not delete ${c.path}: ${(err as Error).message}`);
          continue;
        }
        u = await diskUsage(root);
      }
      projected.set(devOf(root), u);
      report.deleted.push(entry);
      report.freed_bytes += c.size;
      await this.hooks.deleted(entry, reason);
    }
    report.after = this.cfg.dry_run
      ? this.roots.map((r) => ({ ...(projected.get(devOf(r)) as DiskUsage), path: r }))
      : await this.usages();
    const still = report.after.filter(over);
    if (still.length) {
      report.problem = `disk still ${still.map((u) => `${u.path} ${u.usedPercent.toFixed(1)} %`).join(", ")} used after deleting every eligible file (target ${this.cfg.target_percent} %; ${report.skipped_unverified} unverified and ${report.skipped_newest} newest files kept)`;
    }
    this.last = report;
    this.lastUsage = report.after;
    await this.hooks.finished(report);
    return report;
  }

  status() {
    return {
      paths: this.roots,
      critical_percent: this.cfg.critical_percent,
      target_percent: this.cfg.target_percent,
      dry_run: this.cfg.dry_run,
      verified_only: this.cfg.verified_only,
      usage: this.lastUsage.map((u) => ({ path: u.path, used_percent: Math.round(u.usedPercent * 10) / 10 })),
      last_cleanup: this.last
        ? {
            time: this.last.time,
            deleted: this.last.deleted.length,
            freed_bytes: this.last.freed_bytes,
            problem: this.last.problem ?? null,
          }
        : null,
    };
  }
}
