import { type FSWatcher, promises as fsp, watch } from "node:fs";
import { basename, dirname, join } from "node:path";
import { mkdirp } from "./atomic.ts";
import { type DeviceEvent, parseEvent } from "./events.ts";
import { parseFragment } from "./fragment.ts";
import type { JsonObject } from "./json.ts";
import { LEGACY_SOURCE, LegacyErrors } from "./legacy.ts";
import { MergedDocument, type SourceFragment } from "./merge.ts";
import { MAX_EVENT_BYTES, MAX_FRAGMENT_BYTES, SOURCE_RE } from "./names.ts";
import { layout } from "./paths.ts";
import { readRegularFile } from "./read-file.ts";

export interface ReaderWarning {
  source: string;
  reason: string;
}

export interface ReaderOptions {
  dir: string;
  /** The timelapse scripts' single status file, read as source `legacy`; its errors[] become events. */
  legacyStatusFile?: string;
  /**
   * Called for each event in order; the file is removed only after this resolves. `id` names the
   * event (its file name): when a call fails, the same event comes again later with the same id.
   */
  onEvent: (ev: DeviceEvent, id: string) => void | Promise<void>;
  onWarning: (w: ReaderWarning) => void;
  /** Called after any fragment changed (coalesced). */
  onChange?: () => void;
  /**
   * Drain the events already queued when start() is called (default true). The agent passes false
   * and calls drainEvents() once it serves HTTP, so a backlog never competes with its start-up.
   */
  drainAtStart?: boolean;
}

export { LEGACY_SOURCE };

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** Events handed on per batch before the drain yields to the event loop (HTTP, timers, signals). */
const DRAIN_BATCH = 64;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Watches the status directory with inotify (fs.watch), re-reads only the files that changed,
 * keeps each source's last good fragment, and drains the events maildir in order.
 */
export class StatusReader {
  private readonly opts: ReaderOptions;
  private readonly l: ReturnType<typeof layout>;
  private readonly fragments = new MergedDocument();
  private readonly lastWarning = new Map<string, string>();
  private readonly watchers: FSWatcher[] = [];
  private pending = new Set<string>();
  private flushQueued = false;
  private flushing: Promise<void> | null = null;
  private draining: Promise<void> | null = null;
  private drainAgain = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = RETRY_MIN_MS;
  private stopped = false;
  private legacy: LegacyErrors | null = null;

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
      this.legacy = new LegacyErrors(this.opts.dir, this.opts.onEvent, (reason) => this.warn(LEGACY_SOURCE, reason));
      await this.legacy.load();
      this.watchDir(dirname(file), (name) => {
        if (name === basename(file)) this.queueFragment(LEGACY_SOURCE);
      });
    }
    for (const name of await fsp.readdir(this.l.fragments)) this.pending.add(name);
    if (this.opts.legacyStatusFile) this.pending.add(LEGACY_SOURCE);
    await this.flushFragments();
    // A backlog of events must not hold up the caller's start: it drains in the background, in
    // batches; settle() waits for it.
    if (this.opts.drainAtStart !== false) void this.drainEvents();
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  /** The merged device document (fragments only; the agent adds its own fields). */
  document(): JsonObject {
    return this.fragments.document();
  }

  /**
   * Each source's heartbeat: its fragment's mtime in epoch ms. The map is kept up to date in place
   * (no copy of thousands of entries per call): read it, do not change it.
   */
  heartbeats(): Map<string, number> {
    return this.fragments.heartbeats;
  }

  /** Each source's last good fragment (per-source reads, such as a program's own metrics). */
  fragmentList(): SourceFragment[] {
    return [...this.fragments.fragments()];
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
      while (this.pending.size > 0 && !this.stopped) {
        try {
          await this.flushOnce();
        } catch (err) {
          // never an unhandled rejection: a bug here must not stop the reader (or the agent)
          this.warn("reader", `fragment pass failed: ${(err as Error).message}`);
        }
      }
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
    if (changed) this.opts.onChange?.();
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
      const r = await readRegularFile(path, MAX_FRAGMENT_BYTES);
      buf = r.buf;
      mtimeMs = r.stat.mtimeMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        this.lastWarning.delete(source);
        return this.fragments.delete(source);
      }
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === "EW_FILE_TOO_BIG" ? "over the 1 MiB limit" : (err as Error).message;
      this.warn(source, `cannot read ${path}: ${why}; keeping the last good fragment`);
      return false;
    }
    try {
      const parsed = parseFragment(buf, mtimeMs);
      this.lastWarning.delete(source);
      this.fragments.set({ source, data: parsed.data, updatedAtMs: parsed.updatedAtMs, mtimeMs });
      if (legacy) await this.legacy?.handOn(parsed.data.errors);
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
        try {
          await this.drainOnce();
        } catch (err) {
          // e.g. events/new removed under us: say so and try again later, never crash
          this.warn("events", `cannot drain ${this.l.eventsNew}: ${(err as Error).message}`);
          this.scheduleRetry();
          return;
        }
      } while (this.drainAgain && !this.stopped);
    })().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async drainOnce(): Promise<void> {
    if (this.stopped) return;
    const names = (await fsp.readdir(this.l.eventsNew)).filter((n) => !n.startsWith(".")).sort();
    let inBatch = 0;
    for (const name of names) {
      if (this.stopped) return;
      if (++inBatch > DRAIN_BATCH) {
        inBatch = 0;
        await yieldToLoop();
      }
      const path = join(this.l.eventsNew, name);
      let ev: DeviceEvent;
      try {
        const r = await readRegularFile(path, MAX_EVENT_BYTES);
        ev = parseEvent(r.buf, r.stat.mtimeMs);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT") continue;
        await this.quarantine(
          name,
          code === "EW_FILE_TOO_BIG" ? "event is over the 64 KiB limit" : (err as Error).message,
        );
        continue;
      }
      try {
        await this.opts.onEvent(ev, name);
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
    // Moved first, then said: whoever acts on the warning finds the file where it says.
    const moved = await fsp.rename(join(this.l.eventsNew, name), join(this.l.eventsBad, name)).then(
      () => true,
      () => false,
    );
    this.opts.onWarning({
      source: `events/${name}`,
      reason: `${reason}; ${moved ? "moved to events/bad/" : "could not be moved to events/bad/"}`,
    });
  }
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
      const { buf, stat } = await readRegularFile(f.path, MAX_FRAGMENT_BYTES);
      const p = parseFragment(buf, stat.mtimeMs);
      out.push({ source: f.source, data: p.data, updatedAtMs: p.updatedAtMs, mtimeMs: stat.mtimeMs });
    } catch {
      // Bad or vanished fragments are skipped here; the agent reports them.
    }
  }
  return out;
}
