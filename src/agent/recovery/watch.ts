import { type Clock, StepDetector, systemClock } from "../../lib/clock.ts";
import type { JsonObject } from "../../protocol/json.ts";
import { createAction, type RecoveryAction } from "./actions/index.ts";
import type { WatchConfig } from "./config.ts";
import type { Probe } from "./probes.ts";

export type WatchPhase =
  | "grace" // start-up grace: watching, not acting
  | "healthy"
  | "restarting" // the restart action is running
  | "waiting" // restarted; waiting for a fresh heartbeat until waitUntil
  | "rebooting" // the reboot was issued (a real one ends this process)
  | "refused" // the reboot guard said no: staying up, alerting loudly
  | "failing"; // no (more) restart step: alerting

export interface StepEntry {
  time: string;
  watch: string;
  step: string;
  reason: string;
  [k: string]: unknown;
}

/** What the ladder needs from the module: logging, alerts, metrics, and the device-wide reboot. */
export interface LadderHost {
  readonly graceEndsAt: number;
  step(entry: StepEntry, level: "info" | "warning" | "error" | "critical"): Promise<void>;
  alert(
    watch: string,
    state: "firing" | "resolved",
    severity: "warning" | "critical",
    summary: string,
    fields?: JsonObject,
  ): Promise<void>;
  countAction(watch: string, action: string, result: string): void;
  /** Guarded automatic reboot; "refused" when the daily limit is reached. */
  reboot(watch: string, reason: string): Promise<"rebooting" | "refused" | "failed">;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * One watch and its escalation ladder. Heartbeat watches are driven by the probe's inotify events
 * and ONE deadline timer set for the moment the heartbeat would turn stale (lastBeat + stale_after):
 * no polling. When the timer fires and no newer beat came, the ladder takes its next step:
 * restart (up to max_restarts within `window`), wait restart_wait for a fresh beat, then `escalate`
 * (a guarded reboot by default).
 */
export class Watch {
  phase: WatchPhase = "grace";
  /** Monotonic time of the last beat (see `clock.mono`); every time kept here is monotonic. */
  lastBeat = 0;
  lastReason = "";
  /** When the current failure was noticed (0 = none). */
  failingSince = 0;
  waitUntil = 0;
  readonly restarts: number[] = [];
  readonly restartAction: RecoveryAction | null;
  readonly cameraAction: RecoveryAction | null;
  /** The camera recovery was tried for the current failure (once per failure, before restarts). */
  private cameraTried = false;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  private busy = false;
  private stopped = false;
  private readonly staleMs: number;
  private readonly waitMs: number;
  /** When the last beat was looked at (monotonic): a changed beat cannot be older than that. */
  private lastLook = Number.NEGATIVE_INFINITY;
  private graceEnds = 0;
  private readonly steps: StepDetector;
  private readonly now: () => number;

  constructor(
    readonly cfg: WatchConfig,
    readonly probe: Probe,
    private readonly host: LadderHost,
    private readonly clock: Pick<Clock, "now" | "mono"> = systemClock,
  ) {
    this.now = () => clock.mono();
    this.steps = new StepDetector(clock);
    this.restartAction = cfg.restart ? createAction(cfg.restart) : null;
    this.cameraAction = cfg.camera_recover ? createAction(cfg.camera_recover) : null;
    this.staleMs = cfg.stale_after;
    this.waitMs = cfg.restart_wait ?? cfg.stale_after;
  }

  get name(): string {
    return this.cfg.name;
  }

  get healthy(): boolean {
    return this.phase === "healthy" || (this.phase === "grace" && this.alive());
  }

  /** A monotonic time as the wall-clock time it stands for now (for logs and the API). */
  private wall(mono: number): number {
    return this.clock.now() - (this.now() - mono);
  }

  private graceOver(): boolean {
    return this.now() >= this.graceEnds;
  }

  async start(): Promise<void> {
    // the start-up grace (a wall-clock time from the boot time) as a monotonic deadline
    // (+1 ms: the wall clock counts whole milliseconds, so the grace never ends before its wall time)
    this.graceEnds = this.now() + (this.host.graceEndsAt - this.clock.now()) + 1;
    // A program that never beats at all gets stale_after (after the grace) to show up.
    this.lastBeat = this.now();
    await this.probe.start(
      (t) => this.onBeat(t),
      (reason) => this.onDown(reason),
      (msg) => this.host.warn(msg, { watch: this.name }),
    );
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.probe.stop();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Restarts counted in the current window. */
  restartsInWindow(): number {
    const since = this.now() - this.cfg.window;
    while (this.restarts.length && (this.restarts[0] as number) <= since) this.restarts.shift();
    return this.restarts.length;
  }

  private alive(): boolean {
    return this.now() - this.lastBeat < this.staleMs;
  }

  private onBeat(wallTime: number): void {
    if (this.stopped) return;
    this.noticeStep();
    // A beat is a wall-clock time (an mtime, a written timestamp). It is dated on the monotonic clock
    // by its wall-clock age, at least 0 (a beat from the future counts as "now", so it can never
    // postpone the deadline) and at most the time since the previous beat was seen (the file was
    // different then): a clock stepped either way cannot make it look fresher or older than that.
    const now = this.now();
    const age = Math.min(Math.max(0, this.clock.now() - wallTime), now - this.lastLook);
    this.lastLook = now;
    const t = now - age;
    if (t > this.lastBeat) this.lastBeat = t;
    if (!this.probe.heartbeat) this.lastReason = "";
    if (this.failingSince && this.lastBeat > this.failingSince && this.phase !== "restarting") {
      this.recovered().catch((err: Error) => this.host.warn(`${this.name}: ${err.message}`));
      return;
    }
    // Move the one deadline to the new beat's expiry: while beats keep coming the timer never
    // fires, so a healthy watch adds no wake-up of its own (the beat's inotify event is the only one).
    if (this.phase === "grace" && this.graceOver()) this.phase = "healthy";
    if (this.phase === "grace" || this.phase === "healthy") this.schedule();
  }

  private onDown(reason: string): void {
    if (this.stopped) return;
    this.lastReason = reason;
    // Liveness watches: dead now means failing now (grace and restart_wait still apply).
    this.safeEvaluate();
  }

  /** Arms the one timer for the next moment something can change. */
  private schedule(): void {
    if (this.stopped) return;
    const now = this.now();
    let at: number;
    switch (this.phase) {
      case "grace":
      case "healthy":
        at = this.probe.heartbeat ? Math.max(this.lastBeat + this.staleMs, this.graceEnds) : this.graceEnds;
        if (!this.probe.heartbeat && this.graceOver()) {
          this.phase = this.lastReason ? this.phase : "healthy";
          return; // the liveness probe's own checks drive it from here
        }
        break;
      case "waiting":
        at = this.waitUntil;
        break;
      case "refused":
      case "failing": {
        // Restarts become possible again once the oldest leaves the window.
        if (!this.restartAction || this.restartsInWindow() === 0) return;
        at = (this.restarts[0] as number) + this.cfg.window + 1;
        break;
      }
      default:
        return;
    }
    if (this.timer && this.timerAt === at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.safeEvaluate();
      },
      Math.max(0, at - now + 1),
    );
  }

  /** A ladder step must never take the agent down: any unexpected error is logged, and the watch re-armed. */
  private safeEvaluate(): void {
    this.evaluate().catch((err: Error) => {
      this.busy = false;
      this.host.warn(`${this.name}: ladder step failed: ${err.message}`);
      this.schedule();
    });
  }

  /** The timer fired (or a liveness probe said down): decide whether this is a failure. */
  private async evaluate(): Promise<void> {
    if (this.stopped || this.busy) return;
    this.noticeStep();
    const now = this.now();
    if (!this.graceOver()) {
      this.schedule();
      return;
    }
    const down = this.probe.heartbeat ? !this.alive() : this.lastReason !== "";
    if (this.phase === "waiting" && now < this.waitUntil) {
      this.schedule();
      return;
    }
    if (!down) {
      if (this.phase === "grace") this.phase = "healthy";
      if (this.failingSince) await this.recovered();
      else this.schedule();
      return;
    }
    if (this.phase === "rebooting") return;
    if ((this.phase === "refused" || this.phase === "failing") && this.restartsInWindow() >= this.cfg.max_restarts) {
      this.schedule();
      return;
    }
    await this.failure(now);
  }

  private reason(now: number): string {
    if (!this.probe.heartbeat) return this.lastReason || "not alive";
    const age = ((now - this.lastBeat) / 1000).toFixed(1);
    return `heartbeat ${age} s old (stale_after ${this.staleMs / 1000} s) from ${this.probe.kind} ${this.probe.target}`;
  }

  private async failure(now: number): Promise<void> {
    this.busy = true;
    try {
      const reason = this.reason(now);
      const first = !this.failingSince;
      if (first) {
        this.failingSince = now;
        await this.host.step({ time: iso(this.wall(now)), watch: this.name, step: "detected", reason }, "error");
      }
      if (await this.cameraFirst(now, reason)) return;
      const n = this.restartsInWindow();
      if (this.restartAction && n < this.cfg.max_restarts) {
        this.phase = "restarting";
        this.restarts.push(now);
        await this.host.alert(
          this.name,
          "firing",
          "warning",
          `${this.name}: ${reason}; restart ${n + 1}/${this.cfg.max_restarts}`,
        );
        await this.host.step(
          {
            time: iso(this.clock.now()),
            watch: this.name,
            step: "restart",
            reason: `${reason}; restart ${n + 1} of ${this.cfg.max_restarts} within ${this.cfg.window / 1000} s`,
            action: this.restartAction.label,
          },
          "warning",
        );
        const r = await this.restartAction.run();
        this.host.countAction(this.name, "restart", r.result);
        await this.host.step(
          {
            time: iso(this.clock.now()),
            watch: this.name,
            step: "restart_result",
            reason: r.ok
              ? "restart command succeeded; waiting for a fresh heartbeat"
              : `restart command ${r.result}: ${r.error}`,
            result: r.result,
            exit_code: r.exitCode,
            duration_ms: r.durationMs,
            output: r.output.slice(-500),
          },
          r.ok ? "info" : "error",
        );
        this.phase = "waiting";
        this.waitUntil = this.now() + this.waitMs;
        // A beat that arrived while the command ran already counts.
        if (this.lastBeat > now && this.probe.heartbeat) {
          await this.recovered();
          return;
        }
        this.schedule();
        return;
      }
      const why = this.restartAction
        ? `${n} restart${n === 1 ? "" : "s"} within ${this.cfg.window / 1000} s did not help (${reason})`
        : `${reason} and no restart action is configured`;
      if (this.cfg.escalate === "reboot" && this.restartAction) {
        const outcome = await this.host.reboot(this.name, why);
        this.host.countAction(this.name, "reboot", outcome);
        this.phase = outcome === "rebooting" ? "rebooting" : "refused";
      } else {
        this.phase = "failing";
        if (first || this.lastReason !== reason) {
          await this.host.alert(this.name, "firing", "critical", `${this.name}: ${why}`);
          await this.host.step(
            { time: iso(this.clock.now()), watch: this.name, step: "alert", reason: why },
            "critical",
          );
        }
      }
      this.schedule();
    } finally {
      this.busy = false;
    }
  }

  /** First rung when configured: recover the camera, then wait restart_wait for a fresh beat. */
  private async cameraFirst(now: number, reason: string): Promise<boolean> {
    if (!this.cameraAction || this.cameraTried) return false;
    this.cameraTried = true;
    this.phase = "restarting";
    await this.host.alert(this.name, "firing", "warning", `${this.name}: ${reason}; recovering the camera first`);
    await this.host.step(
      { time: iso(now), watch: this.name, step: "camera_recover", reason, action: this.cameraAction.label },
      "warning",
    );
    const r = await this.cameraAction.run();
    this.host.countAction(this.name, "camera_recover", r.result);
    await this.host.step(
      {
        time: iso(this.now()),
        watch: this.name,
        step: "camera_recover_result",
        reason: r.ok
          ? "camera recovery succeeded; waiting for a fresh heartbeat"
          : `camera recovery ${r.result}: ${r.error}`,
        result: r.result,
        exit_code: r.exitCode,
        duration_ms: r.durationMs,
        output: r.output.slice(-500),
      },
      r.ok ? "info" : "error",
    );
    this.phase = "waiting";
    this.waitUntil = this.now() + this.waitMs;
    if (this.lastBeat > now && this.probe.heartbeat) await this.recovered();
    else this.schedule();
    return true;
  }

  private async recovered(): Promise<void> {
    this.cameraTried = false;
    const since = this.failingSince;
    this.failingSince = 0;
    this.phase = "healthy";
    this.waitUntil = 0;
    this.schedule();
    const down = ((this.now() - since) / 1000).toFixed(1);
    await this.host.step(
      {
        time: iso(this.clock.now()),
        watch: this.name,
        step: "recovered",
        reason: `fresh heartbeat after ${down} s of failure`,
      },
      "info",
    );
    await this.host.alert(this.name, "resolved", "warning", `${this.name}: recovered`);
  }

  /** A wall-clock step is logged as what it is; nothing here depends on the wall clock but the log's times. */
  private noticeStep(): void {
    const d = this.steps.check();
    if (d !== 0)
      this.host.warn(
        `${this.name}: wall clock stepped ${d > 0 ? "forward" : "back"} by ${Math.abs(d / 1000).toFixed(1)} s; heartbeat ages are on the monotonic clock, so this neither hides nor fakes a stale heartbeat`,
        { step_seconds: Math.round(d / 1000) },
      );
  }

  snapshot(): JsonObject {
    const now = this.now();
    const n = this.restartsInWindow();
    let next: string;
    if (this.cameraAction && !this.cameraTried)
      next = `camera recovery, then ${this.restartAction ? "restart" : "alert"}`;
    else if (this.restartAction && n < this.cfg.max_restarts)
      next = `restart (${n}/${this.cfg.max_restarts} used in window)`;
    else if (this.restartAction && this.cfg.escalate === "reboot") next = "reboot (guarded)";
    else next = "alert";
    return {
      name: this.name,
      kind: this.probe.kind,
      target: this.probe.target,
      phase: this.phase,
      healthy: this.healthy,
      last_beat: this.lastBeat ? iso(this.wall(this.lastBeat)) : null,
      heartbeat_age_ms: this.lastBeat ? now - this.lastBeat : null,
      stale_after_ms: this.staleMs,
      failing_since: this.failingSince ? iso(this.wall(this.failingSince)) : null,
      reason: this.failingSince ? this.reason(now) : null,
      restarts_in_window: n,
      max_restarts: this.cfg.max_restarts,
      window_ms: this.cfg.window,
      restart_action: this.restartAction?.label ?? null,
      camera_recover_action: this.cameraAction?.label ?? null,
      escalate: this.cfg.escalate,
      next_step: next,
    };
  }
}

const iso = (t: number) => new Date(t).toISOString();
