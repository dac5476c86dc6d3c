/**
 * Time source for the rules engine and the outbox: the system clock, or a manual one in tests.
 * `now()` is the wall clock (what timestamps show); `mono()` never steps (ages and deadlines);
 * timers run on the monotonic clock, as Node's do.
 */
export interface Clock {
  now(): number;
  /** Milliseconds on a clock that never steps (CLOCK_MONOTONIC); only differences mean anything. */
  mono(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  mono: () => performance.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.max(0, Math.min(ms, 2_147_483_647)));
    t.unref();
    return t;
  },
  clearTimer(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/**
 * Notices steps of the wall clock: wall − monotonic only changes when the clock is set (NTP's first
 * sync on a Pi without an RTC, an admin, a VM resumed). Slow NTP slewing stays under the threshold.
 */
export class StepDetector {
  private offset: number;

  constructor(
    private readonly clock: Pick<Clock, "now" | "mono">,
    private readonly thresholdMs = 1000,
  ) {
    this.offset = clock.now() - clock.mono();
  }

  /** The step since the last call, in ms (positive: the clock jumped forward); 0 when there was none. */
  check(): number {
    const o = this.clock.now() - this.clock.mono();
    const d = o - this.offset;
    this.offset = o;
    return Math.abs(d) >= this.thresholdMs ? d : 0;
  }
}

/**
 * Heartbeats (file mtimes: wall-clock times) re-based on the monotonic clock. A beat is dated when
 * the agent sees the mtime change — by its wall-clock age, but never older than the previous look
 * (the file was different then) — and ages from there on the monotonic clock. So a clock stepped
 * back cannot make a frozen program's old mtime look fresh, and a clock stepped forward cannot make
 * a healthy program's last beat look an hour old.
 */
export class BeatAges {
  private readonly seen = new Map<string, { mtime: number; mono: number }>();
  private lastLook = Number.NEGATIVE_INFINITY;

  constructor(private readonly clock: Pick<Clock, "now" | "mono">) {}

  /** `beats` as wall-clock times consistent with `clock.now()`: now − at is each beat's monotonic age. */
  translate(beats: ReadonlyMap<string, number>): Map<string, number> {
    const wall = this.clock.now();
    const mono = this.clock.mono();
    const bound = mono - this.lastLook;
    const out = new Map<string, number>();
    for (const [source, mtime] of beats) {
      let s = this.seen.get(source);
      if (!s || s.mtime !== mtime) {
        s = { mtime, mono: mono - Math.min(Math.max(0, wall - mtime), bound) };
        this.seen.set(source, s);
      }
      out.set(source, wall - (mono - s.mono));
    }
    for (const k of this.seen.keys()) if (!beats.has(k)) this.seen.delete(k);
    this.lastLook = mono;
    return out;
  }
}

/**
 * A clock that moves only when told: `advance(ms)` runs every timer that falls due, in time order,
 * awaiting the work each one starts (via `settle`). Ten simulated minutes run in milliseconds.
 * `stepWall(ms)` sets the wall clock only, as NTP does; timers follow the monotonic clock.
 */
export class ManualClock implements Clock {
  private t: number;
  private m = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  /** Awaited after each timer fires, so async work a timer starts completes before time moves on. */
  settle: () => Promise<void> = async () => {};

  constructor(start = Date.UTC(2026, 1, 8, 12, 0, 0)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  mono(): number {
    return this.m;
  }

  /** Step the wall clock (NTP sync): no time passes, no timer fires. */
  stepWall(ms: number): void {
    this.t += ms;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.m + Math.max(0, ms), fn });
    return id;
  }

  clearTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  async advance(ms: number): Promise<void> {
    const end = this.m + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      if (next[1].at > this.m) {
        this.t += next[1].at - this.m;
        this.m = next[1].at;
      }
      next[1].fn();
      await this.settle();
    }
    this.t += end - this.m;
    this.m = end;
    await this.settle();
  }
}
