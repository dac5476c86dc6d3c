import { randomBytes } from "node:crypto";
import type { Logger } from "../lib/log.ts";
import { inDailyWindow, nextDailyEdge } from "../lib/time-of-day.ts";
import type { Silence } from "./types.ts";

/** What a silence is matched against: the alert's rule and source, the device status now. */
export interface SilenceSubject {
  rule: string;
  source?: string;
}

/**
 * Standing silences from the config and expiring ones from the API. A silenced alert still shows
 * (and fires, and resolves); it only does not notify. Matching, activity at a time, expiry, and the
 * next time any of them starts or ends (for the engine's one deadline timer).
 */
export class Silences {
  readonly config: Silence[];
  api: Silence[] = [];

  constructor(
    config: Omit<Silence, "id" | "origin">[],
    /** The device status now (for `while_status`). */
    private readonly status: () => string,
  ) {
    this.config = config.map((s, i) => ({ ...s, id: `config-${i}`, origin: "config" as const }));
  }

  all(): Silence[] {
    return [...this.config, ...this.api];
  }

  add(s: Omit<Silence, "id" | "origin">): Silence {
    const silence: Silence = { ...s, id: randomBytes(6).toString("hex"), origin: "api" };
    this.api.push(silence);
    return silence;
  }

  remove(id: string): boolean {
    const n = this.api.length;
    this.api = this.api.filter((s) => s.id !== id);
    return n !== this.api.length;
  }

  /** Drop API silences that ended; true when one did. */
  expire(now: number): boolean {
    const n = this.api.length;
    this.api = this.api.filter((s) => s.ends_at === undefined || s.ends_at > now);
    return n !== this.api.length;
  }

  matches(a: SilenceSubject, now: number): boolean {
    return this.all().some(
      (s) =>
        (!s.rules || s.rules.includes(a.rule)) &&
        (!s.sources || (a.source !== undefined && s.sources.includes(a.source))) &&
        this.active(s, now),
    );
  }

  active(s: Silence, now: number): boolean {
    if (s.starts_at !== undefined && now < s.starts_at) return false;
    if (s.ends_at !== undefined && now >= s.ends_at) return false;
    if (s.while_status && !s.while_status.includes(this.status())) return false;
    if (s.daily && !inDailyWindow(now, s.daily)) return false;
    return true;
  }

  list(now: number): (Silence & { active: boolean })[] {
    return this.all().map((s) => ({ ...s, active: this.active(s, now) }));
  }

  /**
   * Times at which a silence ends or, when `alertsActive`, starts (a start only matters while there is
   * an alert it could mute or unmute).
   */
  edges(now: number, alertsActive: boolean): number[] {
    const out: number[] = [];
    for (const s of this.all()) {
      if (s.ends_at !== undefined) out.push(s.ends_at);
      if (!alertsActive) continue;
      if (s.starts_at !== undefined && s.starts_at > now) out.push(s.starts_at);
      if (s.daily) out.push(nextDailyEdge(now, s.daily));
    }
    return out;
  }
}

/** Silences read back from a state file that a route can show and the engine can compare; the rest dropped with a warning. */
export function validSilences(list: unknown, file: string, log: Logger): Silence[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    log.warn(`alert state ${file}: silences: expected a list, got ${typeof list}; dropped`);
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
      log.warn(
        `alert state ${file}: silence ${i} is not valid (${JSON.stringify(s).slice(0, 200)}); dropped, the rest kept`,
      );
    return ok;
  }) as Silence[];
}
