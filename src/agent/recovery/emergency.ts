import type { JsonObject } from "../../protocol/json.ts";
import type { DeviceState } from "../state.ts";
import { createAction, type RecoveryAction } from "./actions/index.ts";
import type { EmergencyConfig } from "./config.ts";
import type { LadderHost } from "./watch.ts";

const NAME = "emergency";

/**
 * Emergency mode (`recovery.emergency`, off by default): when CPU or memory stays at or above its
 * critical limit for `for`, run the relief actions (stop non-critical units, drop caches) once, with
 * the ladder's guard (nothing during the start-up grace, at most one run per `cooldown`), its
 * recovery-log steps and its `recovery:emergency` alert; once both are back below their limits,
 * run the `restore` actions and resolve the alert. Driven by the system collector's samples (no
 * timer of its own); never while the device is encoding video, where a busy CPU is the plan.
 */
export class EmergencyMode {
  private readonly actions: RecoveryAction[];
  private readonly restore: RecoveryAction[];
  private criticalSince = 0;
  private active = false;
  private lastRun = 0;
  private busy = false;
  private last: JsonObject | null = null;

  constructor(
    private readonly cfg: EmergencyConfig,
    private readonly state: DeviceState,
    private readonly host: LadderHost,
    private readonly now: () => number = Date.now,
  ) {
    this.actions = cfg.actions.map(createAction);
    this.restore = cfg.restore.map(createAction);
  }

  start(): () => void {
    return this.state.on("sample", (r) => {
      if (r.collector !== "system" || !r.ok) return;
      this.onSample(r.data).catch((err: Error) => this.host.warn(`emergency mode: ${err.message}`));
    });
  }

  snapshot(): JsonObject {
    return {
      enabled: true,
      active: this.active,
      critical_since: this.criticalSince ? new Date(this.criticalSince).toISOString() : null,
      last_run: this.lastRun ? new Date(this.lastRun).toISOString() : null,
      last_reading: this.last,
      actions: this.actions.map((a) => a.label),
      restore: this.restore.map((a) => a.label),
    };
  }

  private reading(data: JsonObject): { cpu: number | null; mem: number | null; why: string | null } {
    const pct = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? Math.round(v * 1000) / 10 : null);
    const cpu = pct(data.cpu_usage_ratio);
    const mem = pct(data.memory_usage_ratio);
    const why: string[] = [];
    if (cpu !== null && cpu >= this.cfg.cpu_percent) why.push(`CPU ${cpu}% (limit ${this.cfg.cpu_percent}%)`);
    if (mem !== null && mem >= this.cfg.memory_percent) why.push(`memory ${mem}% (limit ${this.cfg.memory_percent}%)`);
    return { cpu, mem, why: why.length ? why.join(", ") : null };
  }

  private async onSample(data: JsonObject): Promise<void> {
    if (this.busy) return;
    const now = this.now();
    const { cpu, mem, why } = this.reading(data);
    this.last = { cpu_percent: cpu, memory_percent: mem };
    if (!why || this.state.quiet) {
      this.criticalSince = 0;
      if (this.active && !why) await this.end(cpu, mem);
      return;
    }
    if (!this.criticalSince) this.criticalSince = now;
    if (this.active || now - this.criticalSince < this.cfg.for) return;
    if (now < this.host.graceEndsAt) return;
    if (this.lastRun && now - this.lastRun < this.cfg.cooldown) return;
    await this.relieve(why, now);
  }

  private async relieve(why: string, now: number): Promise<void> {
    this.busy = true;
    try {
      this.active = true;
      this.lastRun = now;
      const reason = `${why} for ${Math.round((now - this.criticalSince) / 1000)} s`;
      await this.host.alert(NAME, "firing", "critical", `emergency mode: ${reason}; running relief actions`);
      await this.host.step({ time: iso(now), watch: NAME, step: "emergency", reason }, "critical");
      await this.runAll(this.actions, "emergency_action");
    } finally {
      this.busy = false;
    }
  }

  private async end(cpu: number | null, mem: number | null): Promise<void> {
    this.busy = true;
    try {
      this.active = false;
      const reason = `CPU ${cpu ?? "?"}%, memory ${mem ?? "?"}%: back below the limits`;
      await this.host.step({ time: iso(this.now()), watch: NAME, step: "emergency_end", reason }, "info");
      await this.runAll(this.restore, "emergency_restore");
      await this.host.alert(NAME, "resolved", "critical", `emergency mode ended: ${reason}`);
    } finally {
      this.busy = false;
    }
  }

  /** Every action runs even when one before it failed: each frees what it can. */
  private async runAll(list: RecoveryAction[], step: string): Promise<void> {
    for (const a of list) {
      const r = await a.run();
      this.host.countAction(NAME, step, r.result);
      await this.host.step(
        {
          time: iso(this.now()),
          watch: NAME,
          step,
          reason: r.ok ? `${a.label}: ok` : `${a.label}: ${r.result}: ${r.error}`,
          action: a.label,
          result: r.result,
          exit_code: r.exitCode,
          duration_ms: r.durationMs,
          output: r.output.slice(-500),
        },
        r.ok ? "info" : "error",
      );
    }
  }
}

const iso = (t: number) => new Date(t).toISOString();
