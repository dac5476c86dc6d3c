/** One flapping episode: from the second firing within the window until the alert stays put that long. */
export interface Episode {
  since: number;
  until: number;
  /** Whether its FLAPPING notice went out (not when silenced): then its end is told too. */
  notified: boolean;
}

/**
 * Flapping: an alert that fires twice within the window starts an episode; each further firing
 * extends it. While it lasts the alert notifies nothing more; when it ends the settled state is told.
 */
export class Flapping {
  fireTimes = new Map<string, number[]>();
  episodes = new Map<string, Episode>();

  constructor(private readonly o: { enabled: boolean; windowMs: number } | undefined) {}

  has(id: string): boolean {
    return this.episodes.has(id);
  }

  /**
   * Record a firing at `now`. "started": a new episode (its notice is due unless `silenced`);
   * "extended" or null (not flapping) otherwise.
   */
  fired(id: string, now: number, silenced: boolean): "started" | "extended" | null {
    const o = this.o;
    if (!o?.enabled) return null;
    const times = (this.fireTimes.get(id) ?? []).filter((t) => now - t < o.windowMs);
    times.push(now);
    this.fireTimes.set(id, times);
    const ep = this.episodes.get(id);
    if (ep) {
      ep.until = now + o.windowMs;
      return "extended";
    }
    if (times.length < 2) return null;
    this.episodes.set(id, { since: now, until: now + o.windowMs, notified: !silenced });
    return "started";
  }

  /** Episodes that ended by `now`, removed. */
  ended(now: number): [string, Episode][] {
    const out: [string, Episode][] = [];
    for (const [id, ep] of this.episodes) if (now >= ep.until) out.push([id, ep]);
    for (const [id] of out) this.episodes.delete(id);
    return out;
  }

  /** Ends of the running episodes (deadlines). */
  edges(): number[] {
    return [...this.episodes.values()].map((e) => e.until);
  }

  /** The wall clock was stepped by `d`: every remembered time moves with it. */
  shift(d: number): void {
    for (const ep of this.episodes.values()) {
      ep.since += d;
      ep.until += d;
    }
    for (const times of this.fireTimes.values()) for (let k = 0; k < times.length; k++) (times[k] as number) += d;
  }
}
