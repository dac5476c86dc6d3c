import { type Clock, StepDetector, systemClock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import type { DeviceEvent } from "../protocol/events.ts";
import { Flapping } from "./flapping.ts";
import { type Batch, Lifecycle } from "./lifecycle.ts";
import { AlertStateFile, loadAlertState, type Persisted } from "./persistence.ts";
import { Silences } from "./silences.ts";
import type { AlertChange, AlertView, HistoryEntry, Rule, Severity, Silence } from "./types.ts";

export interface EngineOptions<In> {
  rules: Rule<In>[];
  /** What the rules evaluate, as of now (the agent's device state and heartbeats). */
  input: () => In;
  /**
   * Where every alert change goes (the agent: into its device state). A change born from an event
   * must be published before the event is acknowledged: its failure is thrown back.
   */
  publish: (change: AlertChange) => Promise<void>;
  /** The device status now, for silences `while_status` (default: "unknown"). */
  status?: () => string;
  log: Logger;
  clock?: Clock;
  repeatMs?: number;
  historySize?: number;
  flapping?: { enabled: boolean; windowMs: number };
  silences?: Omit<Silence, "id" | "origin">[];
  /** Where active alerts, history and API silences persist across restarts (no file: memory only). */
  stateFile?: string;
  /** The wall clock was stepped by `d` ms: the program moves its own remembered times too. */
  onClockStep?: (d: number) => void;
}

/**
 * Rules → alert changes. Evaluation is driven by its program (state changes, events) and one deadline
 * timer for `for`/`clear_for` expiries, repeats, silences and flapping windows: no polling loop.
 * The lifecycle, flapping, silences, persistence and message text each live in their own file here;
 * this class serializes the entry points, runs the rules, publishes what changed and keeps the timer.
 */
export class RuleEngine<In = unknown> {
  private readonly o: EngineOptions<In>;
  private readonly clock: Clock;
  private readonly rules: Map<string, Rule<In>>;
  private readonly flapping: Flapping;
  private readonly silences: Silences;
  private readonly life: Lifecycle;
  private readonly file: AlertStateFile;
  private chain: Promise<void> = Promise.resolve();
  private timer: unknown = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private wakeAts = new Map<string, number>();
  private stopped = false;
  lastEvaluation = 0;
  private runningSince: number | null = null;
  private readonly steps: StepDetector;

  constructor(opts: EngineOptions<In>) {
    this.o = opts;
    this.clock = opts.clock ?? systemClock;
    this.steps = new StepDetector(this.clock);
    this.rules = new Map(opts.rules.map((r) => [r.name, r]));
    this.flapping = new Flapping(opts.flapping);
    this.silences = new Silences(opts.silences ?? [], opts.status ?? (() => "unknown"));
    this.life = new Lifecycle(this.rules as Map<string, Rule<never>>, this.flapping, this.silences, opts);
    this.file = new AlertStateFile(opts.stateFile, opts.log);
  }

  /** For /health/deep: null while healthy, else why the engine is stuck (one run taking over a minute). */
  stuck(): string | null {
    if (this.runningSince === null) return null;
    const ms = this.clock.mono() - this.runningSince;
    return ms > 60_000 ? `rules engine busy for ${Math.round(ms / 1000)} s (a notification write hanging?)` : null;
  }

  /** Load the state file, publish the alerts it holds (without notices), evaluate once. */
  async start(): Promise<void> {
    if (this.o.stateFile) {
      const p = await loadAlertState(this.o.stateFile, this.o.log);
      if (p) this.restore(p);
      const now = this.clock.now();
      for (const i of this.life.instances.values())
        await this.o.publish({ alert: this.life.toView(i, now), notice: null, remove: false }).catch(() => {});
    }
    await this.evaluate();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
  }

  /** Serialized: every entry point runs one at a time. */
  private run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(async () => {
      this.runningSince = this.clock.mono();
      this.carryOverStep();
      try {
        return await fn();
      } finally {
        this.runningSince = null;
      }
    });
    this.chain = p.then(
      () => {},
      () => {},
    );
    return p;
  }

  /** Re-evaluate level rules and deadlines now. */
  evaluate(): Promise<void> {
    return this.run(() => this.stepAndFlush());
  }

  /** A protocol event: resolves once its alert changes are published (the maildir file is removed after). */
  onEvent(ev: DeviceEvent): Promise<void> {
    return this.run(async () => {
      const before = JSON.stringify(this.serialize());
      const b: Batch = { origin: "event", notices: [], views: [] };
      const input = this.o.input();
      const now = this.clock.now();
      for (const rule of this.rules.values()) {
        if (!rule.onEvent) continue;
        for (const c of rule.onEvent(ev, input)) this.life.apply(rule as Rule<never>, c, now, b);
      }
      this.life.notifyUnnotified(now, b);
      try {
        await this.flush(b, true);
      } catch (err) {
        this.restore(JSON.parse(before) as Persisted);
        throw err;
      }
    });
  }

  addSilence(s: Omit<Silence, "id" | "origin">): Promise<Silence> {
    return this.run(async () => {
      const silence = this.silences.add(s);
      this.life.dirty = true;
      await this.stepAndFlush();
      return silence;
    });
  }

  removeSilence(id: string): Promise<boolean> {
    return this.run(async () => {
      if (!this.silences.remove(id)) return false;
      this.life.dirty = true;
      await this.stepAndFlush();
      return true;
    });
  }

  /** Resolves when queued work is done (tests, shutdown). */
  idle(): Promise<void> {
    return this.run(async () => {});
  }

  view(): { firing: AlertView[]; pending: AlertView[]; history: HistoryEntry[]; silences: Silence[] } {
    const now = this.clock.now();
    const all = [...this.life.instances.values()].map((i) => this.life.toView(i, now));
    return {
      firing: all.filter((a) => a.state === "firing" || a.state === "flapping"),
      pending: all.filter((a) => a.state === "pending"),
      history: [...this.life.history].reverse(),
      silences: this.silences.list(now),
    };
  }

  firingBySeverity(): Record<Severity, number> {
    const out: Record<Severity, number> = { info: 0, warning: 0, critical: 0 };
    for (const i of this.life.instances.values()) if (i.state === "firing") out[i.severity]++;
    return out;
  }

  /**
   * The wall clock was stepped (NTP's first sync on a Pi without an RTC): move every remembered time
   * by the step, so ages, for/clear_for, repeats, expiries and flapping windows keep counting on the
   * monotonic clock and timestamps read right in the new time. A step fires and resolves nothing.
   * (Silences keep their wall-clock times: "until 18:00" means 18:00.)
   */
  private carryOverStep(): void {
    const d = this.steps.check();
    if (d === 0) return;
    this.life.shift(d);
    this.flapping.shift(d);
    for (const [k, w] of this.wakeAts) this.wakeAts.set(k, w + d);
    this.o.onClockStep?.(d);
    this.life.dirty = true;
    this.o.log.warn(
      `wall clock stepped ${d > 0 ? "forward" : "back"} by ${Math.abs(d / 1000).toFixed(1)} s (NTP sync, or set by hand): alert ages and deadlines carried over on the monotonic clock`,
      { step_seconds: Math.round(d / 1000) },
    );
  }

  private async stepAndFlush(): Promise<void> {
    const now = this.clock.now();
    this.lastEvaluation = now;
    const b: Batch = { origin: "state", notices: [], views: [] };
    const input = this.o.input();
    for (const rule of this.rules.values()) {
      if (!rule.evaluate) continue;
      const prev = new Map<string, Severity>();
      for (const i of this.life.instances.values()) if (i.rule === rule.name) prev.set(i.key, i.severity);
      let result: ReturnType<NonNullable<Rule<In>["evaluate"]>>;
      try {
        result = rule.evaluate(input, prev);
      } catch (err) {
        this.o.log.error(`alert rule ${rule.name} failed to evaluate`, { error: (err as Error).message });
        continue;
      }
      for (const c of result.conditions) this.life.apply(rule as Rule<never>, c, now, b);
      if (result.wakeAt !== undefined) this.wakeAts.set(rule.name, result.wakeAt);
      else this.wakeAts.delete(rule.name);
    }
    this.life.deadlines(now, b);
    if (this.silences.expire(now)) this.life.dirty = true;
    this.life.notifyUnnotified(now, b);
    await this.flush(b, false);
  }

  /**
   * Publish the batch: each notice with the alert state it belongs to (a firing notice with the
   * firing state, a resolution with the resolved one), then the states that bring no notice.
   */
  private async flush(b: Batch, mustPersist: boolean): Promise<void> {
    const views = [...b.views];
    const changes: AlertChange[] = b.notices.map((notice) => {
      const i = views.findIndex((v) => v.id === notice.alert.id && v.state === notice.alert.state);
      const alert = i >= 0 ? (views.splice(i, 1)[0] as AlertView) : (notice.alert as AlertView);
      return { alert, notice, remove: alert.state === "resolved" };
    });
    for (const alert of views) changes.push({ alert, notice: null, remove: alert.state === "resolved" });
    for (const c of changes) {
      if (mustPersist && c.notice) await this.o.publish(c);
      else
        await this.o.publish(c).catch((err: Error) => {
          if (c.notice)
            this.o.log.error("alert notification could not be queued", { alert: c.alert.id, error: err.message });
        });
    }
    this.file.dirty ||= this.life.dirty;
    this.life.dirty = false;
    await this.file.save(() => this.serialize());
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    const edges = [
      ...this.life.edges(),
      ...this.flapping.edges(),
      ...this.wakeAts.values(),
      ...this.silences.edges(now, this.life.instances.size > 0),
    ];
    const next = Math.min(Number.POSITIVE_INFINITY, ...edges);
    if (next === this.timerAt && this.timer !== null) return;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    this.timerAt = next;
    if (next === Number.POSITIVE_INFINITY) return;
    this.timer = this.clock.setTimer(
      () => {
        this.timer = null;
        this.timerAt = Number.POSITIVE_INFINITY;
        void this.evaluate();
      },
      Math.max(0, next - now),
    );
  }

  private serialize(): Persisted {
    return {
      version: 1,
      instances: [...this.life.instances.values()],
      fireTimes: [...this.flapping.fireTimes],
      episodes: [...this.flapping.episodes],
      history: this.life.history,
      silences: this.silences.api,
    };
  }

  private restore(p: Persisted): void {
    this.life.instances = new Map(p.instances.map((i) => [i.id, i]));
    this.flapping.fireTimes = new Map(p.fireTimes);
    this.flapping.episodes = new Map(p.episodes);
    this.life.history = p.history;
    this.silences.api = p.silences;
  }
}
