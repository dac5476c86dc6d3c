import type { JsonObject } from "../../protocol/json.ts";
import type { Config } from "../config.ts";
import type { AgentContext, AgentModule, HealthVerdict, Logger, MetricFamily } from "../module.ts";
import type { CollectorResult, DeviceState } from "../state.ts";
import { collectorFactories } from "./index.ts";
import type { CollectContext, Collector, CollectorFactory } from "./types.ts";

export interface RunnerOptions {
  /** The collectors to build (default: the registry in ./index.ts). */
  factories?: readonly CollectorFactory[];
  /** Clock handed to collectors (default Date.now); timers always use the real clock. */
  now?: () => number;
}

interface Slot {
  collector: Collector;
  timer: NodeJS.Timeout | null;
  /** When the armed timer fires (ms since epoch). */
  dueAt: number;
  /** A status change arrived while a reactive collector was running: run it again soon. */
  staleRun: boolean;
  /** A run whose collect() has not settled yet (possibly a hung one that already timed out). */
  inFlight: Promise<unknown> | null;
  /** When the slot last became due to produce results: start, or resume after quiet mode. */
  activeSince: number;
  /** When a run last finished (success, failure or timeout); skipped runs do not count. */
  lastCompletedAt: number | null;
  last: CollectorResult | null;
  /** Families derived from the last successful data, computed once per run, not per scrape. */
  families: MetricFamily[];
  paused: boolean;
  detach: (() => void) | null;
}

/** Reactive collectors run at most this often on status changes. */
export const REACTIVE_MIN_GAP_MS = 1000;

/** A collector is stuck when its last finished run is older than this many intervals. */
export const STUCK_INTERVALS = 3;

/**
 * The "collectors" agent module: one deadline timer per enabled collector (no polling loop, no
 * timer at all for disabled ones), a timeout per run, non-essential collectors paused in quiet mode.
 * One failing or hanging collector never delays the others: each has its own timer and promise.
 */
export class CollectorRunner implements AgentModule {
  readonly name = "collectors";
  private readonly slots = new Map<string, Slot>();
  private readonly factories: readonly CollectorFactory[];
  private readonly clock: () => number;
  private ctx: AgentContext | null = null;
  private offStatus: (() => void) | null = null;
  private quiet = false;
  private stopped = false;
  /** Deadlines are epoch + k × interval, so collectors with equal (or multiple) intervals wake together. */
  private epoch = Date.now();

  constructor(
    private readonly config: Config,
    opts: RunnerOptions = {},
  ) {
    this.factories = opts.factories ?? collectorFactories;
    this.clock = opts.now ?? Date.now;
  }

  private get log(): Logger {
    return (this.ctx as AgentContext).log;
  }

  start(ctx: AgentContext): void {
    this.ctx = ctx;
    this.stopped = false;
    this.epoch = Date.now();
    this.quiet = ctx.state.quiet;
    this.slots.clear();
    for (const factory of this.factories) {
      let collector: Collector | null;
      try {
        collector = factory(this.config);
      } catch (err) {
        ctx.log.error(`a collector could not be created (${(err as Error).message}); the others run`);
        continue;
      }
      if (!collector) continue;
      if (this.slots.has(collector.name)) {
        ctx.log.error(`two collectors are named ${JSON.stringify(collector.name)}; the second is ignored`);
        continue;
      }
      const slot: Slot = {
        collector,
        timer: null,
        dueAt: 0,
        staleRun: false,
        inFlight: null,
        activeSince: Date.now(),
        lastCompletedAt: null,
        last: null,
        families: [],
        paused: this.quiet && !collector.essential,
        detach: null,
      };
      this.slots.set(collector.name, slot);
      if (collector.attach) {
        try {
          slot.detach = collector.attach(this.baseContext(ctx.state));
        } catch (err) {
          ctx.log.error(`collector ${collector.name}: attach failed`, { error: (err as Error).message });
        }
      }
      if (!slot.paused) this.schedule(slot, 0);
    }
    this.offStatus = ctx.state.on("status", () => {
      this.applyQuiet();
      this.runReactive();
    });
  }

  /** A status change: run the reactive collectors now (or 1 s after their previous run, whichever is later). */
  private runReactive(): void {
    if (this.stopped) return;
    const now = Date.now();
    for (const slot of this.slots.values()) {
      if (!slot.collector.reactive || slot.paused) continue;
      if (slot.inFlight) {
        slot.staleRun = true; // the run in progress may have read the old document
        continue;
      }
      const earliest = (slot.lastCompletedAt ?? 0) + REACTIVE_MIN_GAP_MS;
      const delay = Math.max(0, earliest - now);
      if (slot.timer && slot.dueAt <= now + delay) continue; // already due by then
      this.schedule(slot, delay);
    }
  }

  stop(): void {
    this.stopped = true;
    this.offStatus?.();
    this.offStatus = null;
    for (const slot of this.slots.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
      slot.detach?.();
      slot.detach = null;
    }
  }

  /** The latest result of every collector (also in state.collectors), with its pause state. */
  snapshot(): {
    name: string;
    paused: boolean;
    intervalMs: number;
    essential: boolean;
    last: CollectorResult | null;
  }[] {
    return [...this.slots.values()].map((s) => ({
      name: s.collector.name,
      paused: s.paused,
      intervalMs: s.collector.intervalMs,
      essential: s.collector.essential,
      last: s.last,
    }));
  }

  /** True while a timer is armed for the collector (for tests and diagnostics). */
  isScheduled(name: string): boolean {
    return this.slots.get(name)?.timer != null;
  }

  private baseContext(state: DeviceState): Omit<CollectContext, "signal"> {
    const c = this.config.collectors;
    return { config: this.config, state, now: this.clock, procRoot: c.proc_root, sysRoot: c.sys_root };
  }

  private applyQuiet(): void {
    if (!this.ctx || this.stopped) return;
    const quiet = this.ctx.state.quiet;
    if (quiet === this.quiet) return;
    this.quiet = quiet;
    for (const slot of this.slots.values()) {
      if (slot.collector.essential) continue;
      if (quiet) {
        slot.paused = true;
        if (slot.timer) clearTimeout(slot.timer);
        slot.timer = null;
      } else if (slot.paused) {
        slot.paused = false;
        slot.activeSince = Date.now();
        this.schedule(slot, 0);
      }
    }
    this.log.info(quiet ? "quiet mode: non-essential collectors paused" : "quiet mode over: collectors resumed");
  }

  private schedule(slot: Slot, delayMs: number): void {
    if (this.stopped || slot.paused) return;
    if (slot.timer) clearTimeout(slot.timer);
    slot.dueAt = Date.now() + delayMs;
    slot.timer = setTimeout(() => {
      slot.timer = null;
      this.run(slot).catch((err: Error) => this.log.error(`collector ${slot.collector.name}: ${err.message}`));
    }, delayMs);
    slot.timer.unref();
  }

  private async run(slot: Slot): Promise<void> {
    const ctx = this.ctx;
    if (!ctx || this.stopped || slot.paused) return;
    const { collector } = slot;
    const t0 = process.hrtime.bigint();
    let result: CollectorResult;
    if (slot.inFlight) {
      // The previous run hung past its timeout and still has not settled: do not pile up another.
      result = {
        collector: collector.name,
        ok: false,
        at: Date.now(),
        durationMs: 0,
        data: {},
        error: "skipped: the previous run is still running",
      };
      slot.staleRun = false; // a hung run: wait for the grid, do not retry every second
    } else {
      const timeoutMs = Math.max(1, Math.min(this.config.collectors.timeout, collector.intervalMs));
      const ac = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const work = Promise.resolve().then(() =>
        collector.collect({ ...this.baseContext(ctx.state), signal: ac.signal }),
      );
      slot.inFlight = work;
      work
        .catch(() => {})
        .finally(() => {
          if (slot.inFlight === work) slot.inFlight = null;
        });
      try {
        const data = await Promise.race([
          work,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        result = {
          collector: collector.name,
          ok: true,
          at: Date.now(),
          durationMs: Math.round(Number(process.hrtime.bigint() - t0) / 1e3) / 1e3,
          data: data as JsonObject,
        };
      } catch (err) {
        ac.abort();
        result = {
          collector: collector.name,
          ok: false,
          at: Date.now(),
          durationMs: Math.round(Number(process.hrtime.bigint() - t0) / 1e3) / 1e3,
          data: {},
          error: err instanceof Error ? err.message : String(err),
        };
      } finally {
        clearTimeout(timer);
      }
      slot.lastCompletedAt = result.at;
    }
    const wasOk = slot.last?.ok ?? true;
    slot.last = result;
    if (result.ok) slot.families = this.familiesOf(collector, result.data);
    else slot.families = [];
    if (!result.ok && wasOk) ctx.log.warn(`collector ${collector.name} failed: ${result.error}`);
    if (result.ok && !wasOk) ctx.log.info(`collector ${collector.name} recovered`);
    try {
      await ctx.state.setCollector(result);
    } catch (err) {
      ctx.log.error(`a subscriber failed on collector ${collector.name}'s result`, { error: (err as Error).message });
    }
    if (slot.staleRun) {
      slot.staleRun = false;
      this.schedule(slot, REACTIVE_MIN_GAP_MS);
      return;
    }
    // Next deadline on the shared grid (a run longer than its interval skips the missed slots):
    // five collectors at 30 s then cost one wake-up per 30 s, not five.
    const now = Date.now();
    const next = this.epoch + (Math.floor((now - this.epoch) / collector.intervalMs) + 1) * collector.intervalMs;
    this.schedule(slot, next - now);
  }

  private familiesOf(collector: Collector, data: JsonObject): MetricFamily[] {
    if (!collector.metrics) return [];
    try {
      return collector.metrics(data);
    } catch (err) {
      this.log.error(`collector ${collector.name}: metrics failed`, { error: (err as Error).message });
      return [];
    }
  }

  metrics(): MetricFamily[] {
    const byName = new Map<string, MetricFamily>();
    const add = (f: MetricFamily) => {
      const have = byName.get(f.name);
      if (have) have.samples = have.samples.concat(f.samples);
      else byName.set(f.name, { ...f, samples: [...f.samples] });
    };
    const success: MetricFamily = {
      name: "edgewatch_collector_success",
      help: "1 when the collector's last run succeeded",
      type: "gauge",
      samples: [],
    };
    const duration: MetricFamily = {
      name: "edgewatch_collector_duration_seconds",
      help: "How long the collector's last run took",
      type: "gauge",
      samples: [],
    };
    const lastRun: MetricFamily = {
      name: "edgewatch_collector_last_run_timestamp_seconds",
      help: "Unix time the collector's last run finished",
      type: "gauge",
      samples: [],
    };
    const paused: MetricFamily = {
      name: "edgewatch_collector_paused",
      help: "1 while the collector is paused in quiet mode (device creating_video)",
      type: "gauge",
      samples: [],
    };
    for (const slot of this.slots.values()) {
      const labels = { collector: slot.collector.name };
      paused.samples.push({ labels, value: slot.paused ? 1 : 0 });
      if (!slot.last) continue;
      success.samples.push({ labels, value: slot.last.ok ? 1 : 0 });
      // durationMs has microsecond precision: dividing it again by 1000 would print 0.00013700000000000002.
      duration.samples.push({ labels, value: Math.round(slot.last.durationMs * 1000) / 1e6 });
      lastRun.samples.push({ labels, value: slot.last.at / 1000 });
      for (const f of slot.families) add(f);
    }
    return [success, duration, lastRun, paused, ...byName.values()].filter((f) => f.samples.length > 0);
  }

  health(): HealthVerdict {
    const now = Date.now();
    const stuck: string[] = [];
    const failing: string[] = [];
    for (const slot of this.slots.values()) {
      if (slot.paused) continue;
      const since = Math.max(slot.lastCompletedAt ?? 0, slot.activeSince);
      const limit = STUCK_INTERVALS * slot.collector.intervalMs;
      if (now - since > limit) {
        stuck.push(
          `${slot.collector.name} (no finished run for ${Math.round((now - since) / 1000)} s, limit ${limit / 1000} s)`,
        );
      } else if (slot.last && !slot.last.ok) {
        failing.push(`${slot.collector.name}: ${slot.last.error}`);
      }
    }
    if (stuck.length) return { ok: false, detail: `stuck: ${stuck.join(", ")}` };
    const pausedCount = [...this.slots.values()].filter((s) => s.paused).length;
    const bits = [`${this.slots.size} collectors`];
    if (pausedCount) bits.push(`${pausedCount} paused (quiet mode)`);
    if (failing.length) bits.push(`failing: ${failing.join("; ")}`);
    return { ok: true, detail: bits.join(", ") };
  }
}
