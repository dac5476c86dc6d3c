/** A 5-field cron schedule (minute hour day-of-month month day-of-week), evaluated in UTC. */
export class Cron {
  private readonly f: Set<number>[];
  private readonly domAny: boolean;
  private readonly dowAny: boolean;

  constructor(readonly text: string) {
    const parts = text.trim().split(/\s+/);
    if (parts.length !== 5)
      throw new Error(`expected a cron schedule of 5 fields like "0 3 * * *", got ${JSON.stringify(text)}`);
    const ranges: [number, number][] = [
      [0, 59],
      [0, 23],
      [1, 31],
      [1, 12],
      [0, 7],
    ];
    this.f = parts.map((p, i) => field(p, ...(ranges[i] as [number, number]), text));
    const dow = this.f[4] as Set<number>;
    if (dow.has(7)) dow.add(0);
    this.domAny = parts[2] === "*";
    this.dowAny = parts[4] === "*";
  }

  private dayMatches(d: Date): boolean {
    const dom = (this.f[2] as Set<number>).has(d.getUTCDate());
    const dow = (this.f[4] as Set<number>).has(d.getUTCDay());
    if (this.domAny || this.dowAny) return dom && dow; // as cron: both restricted → either matches
    return dom || dow;
  }

  /** The first matching minute strictly after `t` (ms), within 5 years. */
  next(t: number): number {
    const d = new Date(Math.floor(t / 60_000) * 60_000 + 60_000);
    const end = t + 5 * 366 * 86_400_000;
    while (d.getTime() < end) {
      if (!(this.f[3] as Set<number>).has(d.getUTCMonth() + 1) || !this.dayMatches(d)) {
        d.setUTCHours(0, 0, 0, 0);
        d.setUTCDate(d.getUTCDate() + 1);
        continue;
      }
      if (!(this.f[1] as Set<number>).has(d.getUTCHours())) {
        d.setUTCMinutes(0, 0, 0);
        d.setUTCHours(d.getUTCHours() + 1);
        continue;
      }
      if ((this.f[0] as Set<number>).has(d.getUTCMinutes())) return d.getTime();
      d.setUTCMinutes(d.getUTCMinutes() + 1);
    }
    throw new Error(`cron schedule ${JSON.stringify(this.text)} never matches`);
  }
}

function field(p: string, lo: number, hi: number, text: string): Set<number> {
  const out = new Set<number>();
  for (const item of p.split(",")) {
    const m = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(item);
    if (!m) throw new Error(`cron schedule ${JSON.stringify(text)}: cannot read ${JSON.stringify(item)}`);
    const a = m[1] === "*" ? lo : Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : m[1] === "*" || m[3] !== undefined ? hi : a;
    const step = m[3] !== undefined ? Number(m[3]) : 1;
    if (a < lo || b > hi || a > b || step < 1) {
      throw new Error(`cron schedule ${JSON.stringify(text)}: ${JSON.stringify(item)} is outside ${lo}-${hi}`);
    }
    for (let v = a; v <= b; v += step) out.add(v);
  }
  return out;
}
