import { type FSWatcher, promises as fsp, watch } from "node:fs";
import { basename, dirname, join } from "node:path";
import { mkdirp, writeFileAtomic } from "./atomic.ts";
import { type DeviceEvent, parseEvent } from "./events.ts";
import { parseFragment } from "./fragment.ts";
import { isPlainObject, type JsonObject } from "./json.ts";
import { mergeFragments, type SourceFragment } from "./merge.ts";
import { isLevel, SOURCE_RE } from "./names.ts";
import { layout } from "./paths.ts";

export interface ReaderWarning {
  source: string;
  reason: string;
}

export interface ReaderOptions {
  dir: string;
  /** Seed 000's single status file, read as source `legacy`; its errors[] become events. */
  legacyStatusFile?: string;
  /** Called for each event in order; the file is removed only after this resolves. */
  onEvent: (ev: DeviceEvent) => void | Promise<void>;
  onWarning: (w: ReaderWarning) => void;
  /** Called after any fragment changed (coalesced). */
  onChange?: () => void;
}

export const LEGACY_SOURCE = "legacy";
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

/**
 * Watches the status directory with inotify (fs.watch), re-reads only the files that changed,
 * keeps each source's last good fragment, and drains the events maildir in order.
 */
export class StatusReader {
  private readonly opts: ReaderOptions;
  private readonly l: ReturnType<typeof layout>;
  private readonly fragments = new Map<string, SourceFragment>();
  private readonly lastWarning = new Map<string, string>();
  private readonly watchers: FSWatcher[] = [];
  private pending = new Set<string>();
  private flushQueued = false;
  private flushing: Promise<void> | null = null;
  private draining: Promise<void> | null = null;
  private drainAgain = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = RETRY_MIN_MS;
  private merged: JsonObject | null = null;
  private stopped = false;
  private legacySeen = new Set<string>();

  constructor(opts: ReaderOptions) {
    this.opts = opts;
    this.l = layout(opts.dir);
  }

  async start(): Promise<void> {
    for (const d of [this.l.fragments, this.l.eventsTmp, this.l.eventsNew, this.l.eventsBad]) {
      await mkdirp(d);
    }
    this.watchDir(this.l.fragments, (name) => this.queueFragment(name));
    this.watchDir(this.l.eventsNew, () => this.drainEvents());
    if (this.opts.legacyStatusFile) {
      const file = this.opts.legacyStatusFile;
      this.legacySeen = await this.loadLegacySeen();
      this.watchDir(dirname(file), (name) => {
        if (name === basename(file)) this.queueFragment(LEGACY_SOURCE);
      });
    }
    for (const name of await fsp.readdir(this.l.fragments)) this.pending.add(name);
    if (this.opts.legacyStatusFile) this.pending.add(LEGACY_SOURCE);
    await this.flushFragments();
    await this.drainEvents();
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  /** The merged device document (fragments only; the agent adds its own fields). */
  document(): JsonObject {
    this.merged ??= mergeFragments(this.fragments.values());
    return this.merged;
  }

  /** Each source's heartbeat: its fragment's mtime in epoch ms. */
  heartbeats(): Map<string, number> {
    return new Map([...this.fragments.values()].map((f) => [f.source, f.mtimeMs]));
  }

  /** Each source's last good fragment (per-source reads, such as a program's own metrics). */
  fragmentList(): SourceFragment[] {
    return [...this.fragments.values()];
  }

  /**
   * Resolves once queued fragment re-reads and the event drain are done (for shutdown). It only
   * covers inotify notifications that have already arrived: right after a writer finishes, the
   * document may still be a change behind, so tests should wait for the value they expect.
   */
  async settle(): Promise<void> {
    await this.flushFragments();
    while (this.draining) await this.draining;
  }

  private watchDir(dir: string, onName: (name: string) => void): void {
    const w = watch(dir, { persistent: false }, (_type, filename) => {
      if (filename) onName(filename.toString());
    });
    w.on("error", (err) => this.warn(dir, `watch failed: ${err.message}`));
    this.watchers.push(w);
  }

  private warn(source: string, reason: string): void {
    if (this.lastWarning.get(source) === reason) return;
    this.lastWarning.set(source, reason);
    this.opts.onWarning({ source, reason });
  }

  private queueFragment(name: string): void {
    if (this.stopped) return;
    this.pending.add(name);
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      void this.flushFragments();
    });
  }

  /**
   * Re-reads the queued fragments, one pass at a time. Passes never overlap: two concurrent passes
   * could read the same file at different moments and finish out of order, leaving the older
   * content as the "last good" one with no further change to correct it.
   */
  private flushFragments(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      while (this.pending.size > 0 && !this.stopped) await this.flushOnce();
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const names = [...this.pending];
    this.pending.clear();
    let changed = false;
    for (const name of names) {
      if (await this.readOne(name)) changed = true;
    }
    if (changed) {
      this.merged = null;
      this.opts.onChange?.();
    }
  }

  /** Returns true when the source's fragment changed. */
  private async readOne(name: string): Promise<boolean> {
    const legacy = name === LEGACY_SOURCE && this.opts.legacyStatusFile !== undefined;
    if (!legacy) {
      if (name.startsWith(".")) return false; // a writer's temp file
      if (!name.endsWith(".json")) {
        this.warn(name, `ignored: expected files named <source>.json in ${this.l.fragments}`);
        return false;
      }
    }
    const source = legacy ? LEGACY_SOURCE : name.slice(0, -5);
    if (!legacy && !SOURCE_RE.test(source)) {
      this.warn(source, "ignored: source name must match [a-z0-9][a-z0-9_-]{0,63}");
      return false;
    }
    const path = legacy ? (this.opts.legacyStatusFile as string) : join(this.l.fragments, name);
    let buf: Buffer;
    let mtimeMs: number;
    try {
      const st = await fsp.stat(path);
      if (st.size > 1024 * 1024) {
        this.warn(source, `fragment is ${st.size} bytes, over the 1 MiB limit; keeping the last good one`);
        return false;
      }
      buf = await fsp.readFile(path);
      mtimeMs = st.mtimeMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        this.lastWarning.delete(source);
        return this.fragments.delete(source);
      }
      this.warn(source, `cannot read ${path}: ${(err as Error).message}`);
      return false;
    }
    try {
      const parsed = parseFragment(buf, mtimeMs);
      this.lastWarning.delete(source);
      this.fragments.set(source, { source, data: parsed.data, updatedAtMs: parsed.updatedAtMs, mtimeMs });
      if (legacy) await this.legacyErrors(parsed.data.errors);
      return true;
    } catch (err) {
      this.warn(source, `${(err as Error).message}; keeping the last good fragment`);
      return false;
    }
  }

  drainEvents(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true;
      return this.draining;
    }
    this.draining = (async () => {
      do {
        this.drainAgain = false;
        await this.drainOnce();
      } while (this.drainAgain && !this.stopped);
    })().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async drainOnce(): Promise<void> {
    if (this.stopped) return;
    const names = (await fsp.readdir(this.l.eventsNew)).filter((n) => !n.startsWith(".")).sort();
    for (const name of names) {
      if (this.stopped) return;
      const path = join(this.l.eventsNew, name);
      let ev: DeviceEvent;
      try {
        const st = await fsp.stat(path);
        if (st.size > 64 * 1024) throw new Error(`event is ${st.size} bytes, over the 64 KiB limit`);
        ev = parseEvent(await fsp.readFile(path), st.mtimeMs);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
        await this.quarantine(name, (err as Error).message);
        continue;
      }
      try {
        await this.opts.onEvent(ev);
      } catch (err) {
        // Not handed on (e.g. the outbox's disk is full): keep the file and try again later.
        this.warn(ev.source, `event not handed on, will retry: ${(err as Error).message}`);
        this.scheduleRetry();
        return;
      }
      await fsp.unlink(path).catch(() => {});
    }
    this.retryMs = RETRY_MIN_MS;
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.drainEvents();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private async quarantine(name: string, reason: string): Promise<void> {
    this.opts.onWarning({ source: `events/${name}`, reason: `${reason}; moved to events/bad/` });
    await fsp.rename(join(this.l.eventsNew, name), join(this.l.eventsBad, name)).catch(() => {});
  }

  private legacySeenPath(): string {
    return join(this.opts.dir, "legacy-errors-seen.json");
  }

  private async loadLegacySeen(): Promise<Set<string>> {
    try {
      const v: unknown = JSON.parse(await fsp.readFile(this.legacySeenPath(), "utf8"));
      return new Set(Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
    } catch {
      return new Set();
    }
  }

  /** Each entry of the legacy errors[] becomes one event, once, even across agent restarts. */
  private async legacyErrors(errors: unknown): Promise<void> {
    const entries = Array.isArray(errors) ? errors : [];
    const keys = entries.map((e) => JSON.stringify(e));
    const fresh = entries.filter((_, i) => !this.legacySeen.has(keys[i] as string));
    if (fresh.length === 0 && keys.length === this.legacySeen.size) return;
    for (const e of fresh) {
      const o = isPlainObject(e) ? e : {};
      const ev: DeviceEvent = {
        time: legacyTime(o.time ?? o.timestamp),
        level: isLevel(o.level) ? o.level : "error",
        source: LEGACY_SOURCE,
        message: typeof e === "string" ? e : typeof o.message === "string" ? o.message : JSON.stringify(e),
      };
      if (typeof o.code === "string") ev.code = o.code;
      await this.opts.onEvent(ev);
    }
    // Only what the file still holds is remembered, so the set stays as small as the file.
    this.legacySeen = new Set(keys);
    await writeFileAtomic(this.legacySeenPath(), JSON.stringify([...this.legacySeen])).catch((err: Error) =>
      this.warn(LEGACY_SOURCE, `cannot persist seen errors: ${err.message}`),
    );
  }
}

/** Seed 000 writes local ISO times without a zone, or epoch seconds; anything else means "now". */
function legacyTime(v: unknown): string {
  if (typeof v === "number" && Number.isFinite(v)) return new Date(v < 1e12 ? v * 1000 : v).toISOString();
  const ms = typeof v === "string" ? Date.parse(v) : Number.NaN;
  return new Date(Number.isNaN(ms) ? Date.now() : ms).toISOString();
}

/** Read the merged device document once, without an agent (library and CLI use). */
export async function readFragmentsOnce(dir: string, legacyStatusFile?: string): Promise<SourceFragment[]> {
  const l = layout(dir);
  const out: SourceFragment[] = [];
  let names: string[] = [];
  try {
    names = await fsp.readdir(l.fragments);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const files = names
    .filter((n) => !n.startsWith(".") && n.endsWith(".json") && SOURCE_RE.test(n.slice(0, -5)))
    .map((n) => ({ source: n.slice(0, -5), path: join(l.fragments, n) }));
  if (legacyStatusFile) files.push({ source: LEGACY_SOURCE, path: legacyStatusFile });
  for (const f of files) {
    try {
      const st = await fsp.stat(f.path);
      const p = parseFragment(await fsp.readFile(f.path), st.mtimeMs);
      out.push({ source: f.source, data: p.data, updatedAtMs: p.updatedAtMs, mtimeMs: st.mtimeMs });
    } catch {
      // Bad or vanished fragments are skipped here; the agent reports them.
    }
  }
  return out;
}
