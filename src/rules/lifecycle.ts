import type { AlertNotice, AlertView, NoticeKind } from "../notify/alert.ts";
import type { JsonObject } from "../protocol/json.ts";
import type { Level } from "../protocol/names.ts";
import type { Flapping } from "./flapping.ts";
import type { Silences } from "./silences.ts";
import { alertNotice, SEVERITY_LEVEL } from "./text.ts";
import type { Condition, HistoryEntry, Rule, Severity } from "./types.ts";

/** One alert instance (rule + key) the engine tracks, as persisted. */
export interface Instance {
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

/** What one engine run produced: notices in order, and alert states to publish. */
export interface Batch {
  origin: "event" | "state";
  notices: AlertNotice[];
  views: AlertView[];
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/**
 * The lifecycle of alert instances: pending → firing (after `for`) → resolved (after `clear_for`),
 * escalation, event expiry, repeats of a still-firing alert, and the history of transitions.
 * Flapping and silences decide what is notified; every transition lands in a Batch.
 */
export class Lifecycle {
  instances = new Map<string, Instance>();
  history: HistoryEntry[] = [];
  /** Something worth persisting changed. */
  dirty = false;

  constructor(
    private readonly rules: ReadonlyMap<string, Rule<never>>,
    private readonly flapping: Flapping,
    private readonly silences: Silences,
    private readonly o: { repeatMs?: number; historySize?: number },
  ) {}

  silenced(inst: Instance, now: number): boolean {
    return this.silences.matches(inst, now);
  }

  apply(rule: Rule<never>, c: Condition, now: number, b: Batch): void {
    const id = c.key ? `${rule.name}:${c.key}` : rule.name;
    let inst = this.instances.get(id);
    if (c.severity) {
      if (!inst) {
        inst = {
          id,
          rule: rule.name,
          key: c.key,
          severity: c.severity,
          level: c.level ?? SEVERITY_LEVEL[c.severity],
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
      inst.level = c.level ?? SEVERITY_LEVEL[c.severity];
      inst.summary = c.summary;
      if (c.source !== undefined) inst.source = c.source;
      if (c.value !== undefined) inst.value = c.value;
      if (c.fields !== undefined) inst.fields = c.fields;
      if (c.expiresAt !== undefined) inst.expiresAt = c.expiresAt;
      delete inst.clearSince;
      if (inst.state === "pending" && now - inst.pendingSince >= rule.forMs) this.fire(inst, now, b);
      else if (inst.state === "firing" && inst.notified && RANK[inst.severity] > RANK[inst.notified]) {
        if (!this.silenced(inst, now) && !this.flapping.has(id)) {
          this.record(inst, "escalated", now);
          b.notices.push(this.notice("escalated", inst, now, b.origin, `${inst.severity}:${now}`));
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
      b.views.push(this.toView(inst, now, "resolved"));
      return;
    }
    if (inst.clearSince === undefined) {
      inst.clearSince = now;
      this.dirty = true;
    }
    if (now - inst.clearSince >= rule.clearForMs) this.resolve(inst, now, b);
  }

  private fire(inst: Instance, now: number, b: Batch): void {
    inst.state = "firing";
    inst.firingSince = now;
    inst.notified = null;
    this.dirty = true;
    this.record(inst, "firing", now);
    const silenced = this.silenced(inst, now);
    if (this.flapping.fired(inst.id, now, silenced) === "started") {
      this.record(inst, "flapping", now);
      if (!silenced) b.notices.push(this.notice("flapping", inst, now, b.origin, String(now)));
    }
    b.views.push(this.toView(inst, now));
  }

  private resolve(inst: Instance, now: number, b: Batch): void {
    this.instances.delete(inst.id);
    this.dirty = true;
    this.record(inst, "resolved", now);
    if (inst.notified && !this.flapping.has(inst.id)) b.notices.push(this.notice("resolved", inst, now, b.origin, ""));
    b.views.push(this.toView(inst, now, "resolved"));
  }

  /** Deadlines that fell due: for/clear_for expiries, event expiry, repeats, flapping ends. */
  deadlines(now: number, b: Batch): void {
    const repeatMs = this.o.repeatMs ?? 0;
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
        } else this.resolve(inst, now, b);
        continue;
      }
      if (inst.state === "pending" && now - inst.pendingSince >= rule.forMs) this.fire(inst, now, b);
      else if (inst.state === "firing" && inst.clearSince !== undefined && now - inst.clearSince >= rule.clearForMs) {
        this.resolve(inst, now, b);
      } else if (
        inst.state === "firing" &&
        inst.notified &&
        inst.notifiedAt !== undefined &&
        repeatMs > 0 &&
        now - inst.notifiedAt >= repeatMs &&
        !this.silenced(inst, now) &&
        !this.flapping.has(inst.id)
      ) {
        inst.repeats++;
        inst.notifiedAt = now;
        this.dirty = true;
        b.notices.push(this.notice("repeat", inst, now, b.origin, String(inst.repeats)));
      }
    }
    for (const [id, ep] of this.flapping.ended(now)) {
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
          level: SEVERITY_LEVEL[last?.severity ?? "warning"],
          summary: last?.summary ?? id,
          clearSummary: `${last?.summary ?? id}: stopped flapping, clear now`,
          state: "firing",
          pendingSince: ep.since,
          notified: null,
          repeats: 0,
        };
        b.notices.push(this.notice("resolved", ghost, now, b.origin, `flap-end:${now}`));
      }
    }
  }

  /** Firing alerts nobody was told about yet (just fired, silence ended, flapping settled). */
  notifyUnnotified(now: number, b: Batch): void {
    for (const inst of this.instances.values()) {
      if (inst.state !== "firing" || inst.notified || this.flapping.has(inst.id) || this.silenced(inst, now)) continue;
      inst.notified = inst.severity;
      inst.notifiedAt = now;
      this.dirty = true;
      b.notices.push(this.notice("firing", inst, now, b.origin, ""));
    }
  }

  /** Times at which an instance's state may change by itself (for the engine's timer). */
  edges(): number[] {
    const out: number[] = [];
    const repeatMs = this.o.repeatMs ?? 0;
    for (const inst of this.instances.values()) {
      const rule = this.rules.get(inst.rule);
      if (!rule) continue;
      if (inst.state === "pending") out.push(inst.pendingSince + rule.forMs);
      if (inst.clearSince !== undefined) out.push(inst.clearSince + rule.clearForMs);
      if (inst.expiresAt !== undefined) out.push(inst.expiresAt);
      if (inst.state === "firing" && inst.notified && inst.notifiedAt !== undefined && repeatMs > 0)
        out.push(inst.notifiedAt + repeatMs);
    }
    return out;
  }

  /** The wall clock was stepped by `d`: every remembered time moves with it. */
  shift(d: number): void {
    for (const i of this.instances.values()) {
      i.pendingSince += d;
      if (i.firingSince !== undefined) i.firingSince += d;
      if (i.clearSince !== undefined) i.clearSince += d;
      if (i.expiresAt !== undefined) i.expiresAt += d;
      if (i.notifiedAt !== undefined) i.notifiedAt += d;
    }
  }

  notice(kind: NoticeKind, inst: Instance, now: number, origin: "event" | "state", extra: string): AlertNotice {
    return alertNotice(kind, this.toView(inst, now, kind === "resolved" ? "resolved" : undefined), {
      episodeStart: inst.firingSince ?? inst.pendingSince,
      level: inst.level,
      origin,
      extra,
    });
  }

  toView(inst: Instance, now: number, state?: AlertView["state"]): AlertView {
    const flapping = this.flapping.has(inst.id);
    const v: AlertView = {
      id: inst.id,
      rule: inst.rule,
      key: inst.key,
      severity: inst.severity,
      level: inst.level,
      state: state ?? (flapping && inst.state === "firing" ? "flapping" : inst.state),
      summary: state === "resolved" ? (inst.clearSummary ?? inst.summary) : inst.summary,
      since: new Date(inst.firingSince ?? inst.pendingSince).toISOString(),
      silenced: this.silenced(inst, now),
      flapping,
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
}
