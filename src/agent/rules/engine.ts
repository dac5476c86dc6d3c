import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import { dirname } from "node:path";
import { BeatAges, type Clock, StepDetector, systemClock } from "../../lib/clock.ts";
import { inDailyWindow, nextDailyEdge } from "../../lib/time-of-day.ts";
import type { AlertNotice, AlertState, AlertView, NoticeKind, NoticeSink } from "../../notify/alert.ts";
import { mkdirp, writeFileAtomic } from "../../protocol/atomic.ts";
import type { DeviceEvent } from "../../protocol/events.ts";
import type { JsonObject } from "../../protocol/json.ts";
import type { Level } from "../../protocol/names.ts";
import type { Logger } from "../module.ts";
import type { DeviceState } from "../state.ts";
import type { Condition, Rule, RuleInput, Severity } from "./types.ts";

export type { AlertNotice, AlertView, NoticeKind, NoticeSink };

export interface Silence {
  id: string;
  rules?: string[];
  sources?: string[];
  while_status?: string[];
  daily?: string;
  /** ms since epoch */
  starts_at?: number;
  ends_at?: number;
  comment?: string;
  origin: "config" | "api";
}

export interface HistoryEntry {
  at: string;
  id: string;
  rule: string;
  key: string;
  state: "firing" | "resolved" | "flapping" | "escalated";
  severity: Severity;
  summary: string;
  value?: number;
}

interface Instance {
  id: string;
  rule: string;
  key: string;
  source?: string;
  severity: Severity;
  level: Level;
  summary: string;
  clearSummary?: string;
  value?: number;
  fields?: JsonObject;
  state: "pending" | "firing";
  pendingSince: number;
  firingSince?: number;
  clearSince?: number;
  expiresAt?: number;
  /** Severity last notified as firing; null while not notified (silenced, flapping). */
  notified: Severity | null;
  notifiedAt?: number;
  repeats: number;
}

interface Episode {
  since: number;
  until: number;
  notified: boolean;
}

interface Persisted {
  version: 1;
  instances: Instance[];
  fireTimes: [string, number[]][];
  episodes: [string, Episode][];
  history: HistoryEntry[];
  silences: Silence[];
}

export interface EngineOptions {
  rules: Rule[];
  state: DeviceState;
  heartbeats: () => Map<string, number>;
  sink: NoticeSink;
  log: Logger;
  clock?: Clock;
  deviceId?: string;
  repeatMs?: number;
  historySize?: number;
  flapping?: { enabled: boolean; windowMs: number };
  silences?: Omit<Silence, "id" | "origin">[];
  /** Where active alerts, history and API silences persist across restarts (no file: memory only). */
  stateFile?: string;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };
const SEV_LEVEL: Record<Severity, Level> = { info: "info", warning: "warning", critical: "critical" };

/**
 * Rules → alerts. Evaluation is driven by the state topics (sample, status, event) and one deadline
 * timer for `for`/`clear_for` expiries, repeats, silences and flapping windows: no polling loop.
 * Lifecycle pending → firing → resolved; hysteresis is the rules' job, dampening (for/clear_for),
 * flapping, silences, dedupe and repeats are the engine's.
 */
export class RuleEngine {
  private readonly o: EngineOptions;
  private readonly clock: Clock;
  private readonly rules: Map<string, Rule>;
  private instances = new Map<string, Instance>();
  private fireTimes = new Map<string, number[]>();
  private episodes = new Map<string, Episode>();
  private history: HistoryEntry[] = [];
  private silences: Silence[] = [];
  private readonly configSilences: Silence[];
  private chain: Promise<void> = Promise.resolve();
  private timer: unknown = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private wakeAts = new Map<string, number>();
  private dirty = false;
  private persistWarned = false;
  private unsubs: (() => void)[] = [];
  private stopped = false;
  lastEvaluation = 0;
  private runningSince: number | null = null;
  private readonly steps: StepDetector;
  private readonly beats: BeatAges;

  /** For /health/deep: null while healthy, else why the engine is stuck (one run taking over a minute). */
  stuck(): string | null {
    if (this.runningSince === null) return null;
    const ms = this.clock.mono() - this.runningSince;
    return ms > 60_000 ? `rules engine busy for ${Math.round(ms / 1000)} s (a notification write hanging?)` : null;
  }

  constructor(opts: EngineOptions) {
    this.o = opts;
    this.clock = opts.clock ?? systemClock;
    this.steps = new StepDetector(this.clock);
    this.beats = new BeatAges(this.clock);
    this.rules = new Map(opts.rules.map((r) => [r.name, r]));
    this.configSilences = (opts.silences ?? []).map((s, i) => ({ ...s, id: `config-${i}`, origin: "config" }));
  }

  async start(): Promise<void> {
    await this.load();
    const s = this.o.state;
    this.unsubs.push(
      s.on("sample", () => this.evaluate()),
      s.on("status", () => this.evaluate()),
      s.on("event", (ev) => this.onEvent(ev)),
    );
    await this.evaluate();
  }

  stop(): void {
    this.stopped = true;
    for (const u of this.unsubs) u();
    this.unsubs = [];
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
    return this.run(async () => {
      const notices: AlertNotice[] = [];
      this.step(notices, "state");
      await this.flush(notices, false);
    });
  }

  /** A protocol event: resolves once its notifications are on disk (the maildir file is removed after). */
  onEvent(ev: DeviceEvent): Promise<void> {
    return this.run(async () => {
      const before = this.snapshotState();
      const notices: AlertNotice[] = [];
      const input = this.input();
      for (const rule of this.rules.values()) {
        if (!rule.onEvent) continue;
        for (const c of rule.onEvent(ev, input)) this.apply(rule, c, notices, "event");
      }
      this.notifyUnnotified(notices, "event");
      try {
        await this.flush(notices, true);
      } catch (err) {
        this.restoreState(before);
        throw err;
      }
    });
  }

  addSilence(s: Omit<Silence, "id" | "origin">): Promise<Silence> {
    return this.run(async () => {
      const silence: Silence = { ...s, id: randomBytes(6).toString("hex"), origin: "api" };
      this.silences.push(silence);
      this.dirty = true;
      const notices: AlertNotice[] = [];
      this.step(notices, "state");
      await this.flush(notices, false);
      return silence;
    });
  }

  removeSilence(id: string): Promise<boolean> {
    return this.run(async () => {
      const n = this.silences.length;
      this.silences = this.silences.filter((s) => s.id !== id);
      if (n === this.silences.length) return false;
      this.dirty = true;
      const notices: AlertNotice[] = [];
      this.step(notices, "state");
      await this.flush(notices, false);
      return true;
    });
  }

  /** Resolves when queued work is done (tests, shutdown). */
  idle(): Promise<void> {
    return this.run(async () => {});
  }

  view(): { firing: AlertView[]; pending: AlertView[]; history: HistoryEntry[]; silences: Silence[] } {
    const now = this.clock.now();
    const all = [...this.instances.values()].map((i) => this.toView(i, now));
    return {
      firing: all.filter((a) => a.state === "firing" || a.state === "flapping"),
      pending: all.filter((a) => a.state === "pending"),
      history: [...this.history].reverse(),
      silences: this.activeSilenceList(now),
    };
  }

  firingBySeverity(): Record<Severity, number> {
    const out: Record<Severity, number> = { info: 0, warning: 0, critical: 0 };
    for (const i of this.instances.values()) if (i.state === "firing") out[i.severity]++;
    return out;
  }

  // ---------------------------------------------------------------- evaluation

  private input(): RuleInput {
    return { state: this.o.state, heartbeats: () => this.beats.translate(this.o.heartbeats()), now: this.clock.now() };
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
    for (const i of this.instances.values()) {
      i.pendingSince += d;
      if (i.firingSince !== undefined) i.firingSince += d;
      if (i.clearSince !== undefined) i.clearSince += d;
      if (i.expiresAt !== undefined) i.expiresAt += d;
      if (i.notifiedAt !== undefined) i.notifiedAt += d;
    }
    for (const ep of this.episodes.values()) {
      ep.since += d;
      ep.until += d;
    }
    for (const times of this.fireTimes.values()) for (let k = 0; k < times.length; k++) (times[k] as number) += d;
    for (const [k, w] of this.wakeAts) this.wakeAts.set(k, w + d);
    // the agent's start time too: "never reported since start" and uptime count on the monotonic clock
    (this.o.state as { startedAt: number }).startedAt += d;
    this.dirty = true;
    this.o.log.warn(
      `wall clock stepped ${d > 0 ? "forward" : "back"} by ${Math.abs(d / 1000).toFixed(1)} s (NTP sync, or set by hand): alert ages and deadlines carried over on the monotonic clock`,
      { step_seconds: Math.round(d / 1000) },
    );
  }

  private step(notices: AlertNotice[], origin: "event" | "state"): void {
    const now = this.clock.now();
    this.lastEvaluation = now;
    const input = this.input();
    for (const rule of this.rules.values()) {
      if (!rule.evaluate) continue;
      const prev = new Map<string, Severity>();
      for (const i of this.instances.values()) if (i.rule === rule.name) prev.set(i.key, i.severity);
      let result: ReturnType<NonNullable<Rule["evaluate"]>>;
      try {
        result = rule.evaluate(input, prev);
      } catch (err) {
        this.o.log.error(`alert rule ${rule.name} failed to evaluate`, { error: (err as Error).message });
        continue;
      }
      for (const c of result.conditions) this.apply(rule, c, notices, origin);
      if (result.wakeAt !== undefined) this.wakeAts.set(rule.name, result.wakeAt);
      else this.wakeAts.delete(rule.name);
    }
    this.deadlines(now, notices, origin);
    this.notifyUnnotified(notices, origin);
  }

  private apply(rule: Rule, c: Condition, notices: AlertNotice[], origin: "event" | "state"): void {
    const now = this.clock.now();
    const id = c.key ? `${rule.name}:${c.key}` : rule.name;
    let inst = this.instances.get(id);
    if (c.severity) {
      if (!inst) {
        inst = {
          id,
          rule: rule.name,
          key: c.key,
          severity: c.severity,
          level: c.level ?? SEV_LEVEL[c.severity],
          summary: c.summary,
          state: "pending",
          pendingSince: now,
          notified: null,
          repeats: 0,
        };
        this.instances.set(id, inst);
        this.dirty = true;
      }
      // Only transitions are persisted; a fresh value for an unchanged alert is not worth a disk write.
      if (
        inst.severity !== c.severity ||
        inst.clearSince !== undefined ||
        (c.expiresAt ?? inst.expiresAt) !== inst.expiresAt
      ) {
        this.dirty = true;
      }
      inst.severity = c.severity;
      inst.level = c.level ?? SEV_LEVEL[c.severity];
      inst.summary = c.summary;
      if (c.source !== undefined) inst.source = c.source;
      if (c.value !== undefined) inst.value = c.value;
      if (c.fields !== undefined) inst.fields = c.fields;
      if (c.expiresAt !== undefined) inst.expiresAt = c.expiresAt;
      delete inst.clearSince;
      if (inst.state === "pending" && now - inst.pendingSince >= rule.forMs) this.fire(inst, now, notices, origin);
      else if (inst.state === "firing" && inst.notified && RANK[inst.severity] > RANK[inst.notified]) {
        if (!this.silenced(inst, now) && !this.episodes.has(id)) {
          this.record(inst, "escalated", now);
          notices.push(this.notice("escalated", inst, now, origin, `${inst.severity}:${now}`));
          inst.notified = inst.severity;
          inst.notifiedAt = now;
          this.dirty = true;
        }
      }
      return;
    }
    if (!inst) return;
    if (c.value !== undefined) inst.value = c.value;
    inst.clearSummary = c.summary;
    if (inst.state === "pending") {
      this.instances.delete(id);
      this.dirty = true;
      this.publish(inst, "resolved", now);
      return;
    }
    if (inst.clearSince === undefined) {
      inst.clearSince = now;
      this.dirty = true;
    }
    if (now - inst.clearSince >= rule.clearForMs) this.resolve(inst, now, notices, origin);
  }

  private fire(inst: Instance, now: number, notices: AlertNotice[], origin: "event" | "state"): void {
    inst.state = "firing";
    inst.firingSince = now;
    inst.notified = null;
    this.dirty = true;
    this.record(inst, "firing", now);
    const fl = this.o.flapping;
    if (fl?.enabled) {
      const times = (this.fireTimes.get(inst.id) ?? []).filter((t) => now - t < fl.windowMs);
      times.push(now);
      this.fireTimes.set(inst.id, times);
      const ep = this.episodes.get(inst.id);
      if (ep) ep.until = now + fl.windowMs;
      else if (times.length >= 2) {
        const silenced = this.silenced(inst, now);
        this.episodes.set(inst.id, { since: now, until: now + fl.windowMs, notified: !silenced });
        this.record(inst, "flapping", now);
        if (!silenced) notices.push(this.notice("flapping", inst, now, origin, String(now)));
      }
    }
    this.publish(inst, this.episodes.has(inst.id) ? "flapping" : "firing", now);
  }

  private resolve(inst: Instance, now: number, notices: AlertNotice[], origin: "event" | "state"): void {
    this.instances.delete(inst.id);
    this.dirty = true;
    this.record(inst, "resolved", now);
    if (inst.notified && !this.episodes.has(inst.id)) {
      notices.push(this.notice("resolved", inst, now, origin, ""));
    }
    this.publish(inst, "resolved", now);
  }

  /** Deadlines that fell due: for/clear_for expiries, event expiry, repeats, flapping ends, silences. */
  private deadlines(now: number, notices: AlertNotice[], origin: "event" | "state"): void {
    for (const inst of [...this.instances.values()]) {
      const rule = this.rules.get(inst.rule);
      if (!rule) {
        this.instances.delete(inst.id); // rule removed from the config
        this.dirty = true;
        continue;
      }
      if (inst.expiresAt !== undefined && now >= inst.expiresAt) {
        inst.clearSummary ??= `${inst.summary} (no repeat for a while)`;
        if (inst.state === "pending") {
          this.instances.delete(inst.id);
          this.dirty = true;
        } else this.resolve(inst, now, notices, origin);
        continue;
      }
      if (inst.state === "pending" && now - inst.pendingSince >= rule.forMs) this.fire(inst, now, notices, origin);
      else if (inst.state === "firing" && inst.clearSince !== undefined && now - inst.clearSince >= rule.clearForMs) {
        this.resolve(inst, now, notices, origin);
      } else if (
        inst.state === "firing" &&
        inst.notified &&
        inst.notifiedAt !== undefined &&
        (this.o.repeatMs ?? 0) > 0 &&
        now - inst.notifiedAt >= (this.o.repeatMs as number) &&
        !this.silenced(inst, now) &&
        !this.episodes.has(inst.id)
      ) {
        inst.repeats++;
        inst.notifiedAt = now;
        this.dirty = true;
        notices.push(this.notice("repeat", inst, now, origin, String(inst.repeats)));
      }
    }
    for (const [id, ep] of [...this.episodes]) {
      if (now < ep.until) continue;
      this.episodes.delete(id);
      this.dirty = true;
      const inst = this.instances.get(id);
      if (inst?.state === "firing")
        inst.notified = null; // notifyUnnotified sends the settled firing state
      else if (ep.notified) {
        const last = [...this.history].reverse().find((h) => h.id === id);
        const ghost: Instance = {
          id,
          rule: last?.rule ?? id,
          key: last?.key ?? "",
          severity: last?.severity ?? "warning",
          level: SEV_LEVEL[last?.severity ?? "warning"],
          summary: last?.summary ?? id,
          clearSummary: `${last?.summary ?? id}: stopped flapping, clear now`,
          state: "firing",
          pendingSince: ep.since,
          notified: null,
          repeats: 0,
        };
        notices.push(this.notice("resolved", ghost, now, origin, `flap-end:${now}`));
      }
    }
    const before = this.silences.length;
    this.silences = this.silences.filter((s) => s.ends_at === undefined || s.ends_at > now);
    if (this.silences.length !== before) this.dirty = true;
  }

  /** Firing alerts nobody was told about yet (just fired, silence ended, flapping settled). */
  private notifyUnnotified(notices: AlertNotice[], origin: "event" | "state"): void {
    const now = this.clock.now();
    for (const inst of this.instances.values()) {
      if (inst.state !== "firing" || inst.notified || this.episodes.has(inst.id) || this.silenced(inst, now)) continue;
      inst.notified = inst.severity;
      inst.notifiedAt = now;
      this.dirty = true;
      notices.push(this.notice("firing", inst, now, origin, ""));
    }
  }

  // ---------------------------------------------------------------- silences

  private silenced(inst: Instance, now: number): boolean {
    return [...this.configSilences, ...this.silences].some(
      (s) =>
        (!s.rules || s.rules.includes(inst.rule)) &&
        (!s.sources || (inst.source !== undefined && s.sources.includes(inst.source))) &&
        this.silenceActive(s, now),
    );
  }

  private silenceActive(s: Silence, now: number): boolean {
    if (s.starts_at !== undefined && now < s.starts_at) return false;
    if (s.ends_at !== undefined && now >= s.ends_at) return false;
    if (s.while_status && !s.while_status.includes(this.o.state.status)) return false;
    if (s.daily && !inDailyWindow(now, s.daily)) return false;
    return true;
  }

  private activeSilenceList(now: number): (Silence & { active: boolean })[] {
    return [...this.configSilences, ...this.silences].map((s) => ({ ...s, active: this.silenceActive(s, now) }));
  }

  // ---------------------------------------------------------------- output

  private notice(kind: NoticeKind, inst: Instance, now: number, origin: "event" | "state", extra: string): AlertNotice {
    const alert = this.toView(inst, now, kind === "resolved" ? "resolved" : undefined);
    const episodeStart = inst.firingSince ?? inst.pendingSince;
    const text =
      kind === "resolved"
        ? `RESOLVED: ${inst.clearSummary ?? inst.summary}`
        : kind === "flapping"
          ? `FLAPPING: ${inst.summary} (fired repeatedly; quiet until it settles)`
          : kind === "escalated"
            ? `${inst.severity.toUpperCase()}: ${inst.summary}`
            : kind === "repeat"
              ? `STILL FIRING: ${inst.summary} (since ${new Date(episodeStart).toISOString()})`
              : `${inst.severity.toUpperCase()}: ${inst.summary}`;
    return {
      kind,
      alert,
      level: inst.level,
      dedupeKey: `${inst.id}@${episodeStart}:${kind}${extra ? `:${extra}` : ""}`,
      origin,
      text,
    };
  }

  private toView(inst: Instance, now: number, state?: AlertView["state"]): AlertView {
    const v: AlertView = {
      id: inst.id,
      rule: inst.rule,
      key: inst.key,
      severity: inst.severity,
      level: inst.level,
      state: state ?? (this.episodes.has(inst.id) && inst.state === "firing" ? "flapping" : inst.state),
      summary: state === "resolved" ? (inst.clearSummary ?? inst.summary) : inst.summary,
      since: new Date(inst.firingSince ?? inst.pendingSince).toISOString(),
      silenced: this.silenced(inst, now),
      flapping: this.episodes.has(inst.id),
    };
    if (inst.firingSince !== undefined) v.firing_since = new Date(inst.firingSince).toISOString();
    if (state === "resolved") v.resolved_at = new Date(now).toISOString();
    if (inst.source !== undefined) v.source = inst.source;
    if (inst.value !== undefined) v.value = inst.value;
    if (inst.fields !== undefined) v.fields = inst.fields;
    return v;
  }

  private record(inst: Instance, state: HistoryEntry["state"], now: number): void {
    const e: HistoryEntry = {
      at: new Date(now).toISOString(),
      id: inst.id,
      rule: inst.rule,
      key: inst.key,
      state,
      severity: inst.severity,
      summary: state === "resolved" ? (inst.clearSummary ?? inst.summary) : inst.summary,
    };
    if (inst.value !== undefined) e.value = inst.value;
    this.history.push(e);
    const max = this.o.historySize ?? 500;
    if (this.history.length > max) this.history.splice(0, this.history.length - max);
  }

  private pendingPublish: AlertView[] = [];

  private publish(inst: Instance, state: AlertView["state"], now: number): void {
    this.pendingPublish.push(this.toView(inst, now, state));
  }

  private async flush(notices: AlertNotice[], mustPersist: boolean): Promise<void> {
    for (const n of notices) {
      if (mustPersist) await this.o.sink(n);
      else
        await this.o
          .sink(n)
          .catch((err: Error) =>
            this.o.log.error("alert notification could not be queued", { alert: n.alert.id, error: err.message }),
          );
    }
    const views = this.pendingPublish;
    this.pendingPublish = [];
    for (const v of views) {
      await this.o.state.setAlert(v).catch(() => {});
      if (v.state === "resolved") this.o.state.alerts.delete(v.id);
    }
    await this.persist();
    this.schedule();
  }

  // ---------------------------------------------------------------- timer

  private schedule(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    let next = Number.POSITIVE_INFINITY;
    const at = (t: number | undefined) => {
      if (t !== undefined && t < next) next = t;
    };
    for (const inst of this.instances.values()) {
      const rule = this.rules.get(inst.rule);
      if (!rule) continue;
      if (inst.state === "pending") at(inst.pendingSince + rule.forMs);
      if (inst.clearSince !== undefined) at(inst.clearSince + rule.clearForMs);
      at(inst.expiresAt);
      if (inst.state === "firing" && inst.notified && inst.notifiedAt !== undefined && (this.o.repeatMs ?? 0) > 0) {
        at(inst.notifiedAt + (this.o.repeatMs as number));
      }
    }
    for (const ep of this.episodes.values()) at(ep.until);
    for (const w of this.wakeAts.values()) at(w);
    const unnotified = [...this.instances.values()].some((i) => i.state === "firing" && !i.notified);
    for (const s of [...this.configSilences, ...this.silences]) {
      at(s.ends_at);
      if (unnotified || this.instances.size > 0) {
        if (s.starts_at !== undefined && s.starts_at > now) at(s.starts_at);
        if (s.daily) at(nextDailyEdge(now, s.daily));
      }
    }
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

  // ---------------------------------------------------------------- persistence

  private snapshotState(): string {
    return JSON.stringify(this.serialize());
  }

  private restoreState(json: string): void {
    this.deserialize(JSON.parse(json) as Persisted);
    this.pendingPublish = [];
  }

  private serialize(): Persisted {
    return {
      version: 1,
      instances: [...this.instances.values()],
      fireTimes: [...this.fireTimes],
      episodes: [...this.episodes],
      history: this.history,
      silences: this.silences,
    };
  }

  private deserialize(p: Persisted): void {
    this.instances = new Map(p.instances.map((i) => [i.id, i]));
    this.fireTimes = new Map(p.fireTimes);
    this.episodes = new Map(p.episodes);
    this.history = p.history;
    this.silences = p.silences;
  }

  private async load(): Promise<void> {
    const file = this.o.stateFile;
    if (!file) return;
    let text: string;
    try {
      text = await fsp.readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT")
        this.o.log.warn(`cannot read alert state ${file}: ${(err as Error).message}; starting fresh`);
      return;
    }
    try {
      const p = JSON.parse(text) as Persisted;
      if (p.version !== 1 || !Array.isArray(p.instances)) throw new Error("expected version 1 alert state");
      this.deserialize(p);
      this.silences = this.validSilences(p.silences, file);
      // an alert whose times no Date can hold would break every view of the alerts: dropped, the rest kept
      const isTime = (t: unknown) => typeof t === "number" && Number.isFinite(new Date(t).getTime());
      for (const [id, i] of this.instances) {
        const ok =
          i !== null &&
          typeof i === "object" &&
          typeof i.rule === "string" &&
          isTime(i.pendingSince) &&
          (i.firingSince === undefined || isTime(i.firingSince));
        if (ok) continue;
        this.instances.delete(id);
        this.o.log.warn(`alert state ${file}: alert ${JSON.stringify(id).slice(0, 100)} is not valid; dropped`);
      }
      for (const i of this.instances.values()) this.o.state.alerts.set(i.id, this.toView(i, this.clock.now()));
    } catch (err) {
      this.o.log.warn(`alert state ${file} is unreadable (${(err as Error).message}); starting fresh`);
    }
  }

  /** Silences from the state file that a route can show and the engine can compare; the rest dropped with a warning. */
  private validSilences(list: unknown, file: string): Silence[] {
    if (list === undefined) return [];
    if (!Array.isArray(list)) {
      this.o.log.warn(`alert state ${file}: silences: expected a list, got ${typeof list}; dropped`);
      return [];
    }
    const time = (t: unknown) => t === undefined || (typeof t === "number" && Number.isFinite(new Date(t).getTime()));
    const names = (v: unknown) => v === undefined || (Array.isArray(v) && v.every((x) => typeof x === "string"));
    return list.filter((s: Partial<Silence> | null, i) => {
      const ok =
        s !== null &&
        typeof s === "object" &&
        typeof s.id === "string" &&
        time(s.starts_at) &&
        time(s.ends_at) &&
        names(s.rules) &&
        names(s.sources) &&
        names(s.while_status) &&
        (s.daily === undefined || (typeof s.daily === "string" && /^\d\d:\d\d-\d\d:\d\d$/.test(s.daily))) &&
        (s.comment === undefined || typeof s.comment === "string");
      if (!ok)
        this.o.log.warn(
          `alert state ${file}: silence ${i} is not valid (${JSON.stringify(s).slice(0, 200)}); dropped, the rest kept`,
        );
      return ok;
    }) as Silence[];
  }

  private async persist(): Promise<void> {
    if (!this.dirty || !this.o.stateFile) return;
    this.dirty = false;
    try {
      await mkdirp(dirname(this.o.stateFile));
      await writeFileAtomic(this.o.stateFile, JSON.stringify(this.serialize()));
      this.persistWarned = false;
    } catch (err) {
      this.dirty = true;
      if (!this.persistWarned)
        this.o.log.error(`cannot save alert state to ${this.o.stateFile}: ${(err as Error).message}; kept in memory`);
      this.persistWarned = true;
    }
  }
}
