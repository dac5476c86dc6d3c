import { JsonLinesLog } from "./log.ts";

/** One audit line of refused control requests: the first of a burst, or the count of the rest. */
export interface RefusalEntry {
  time: string;
  client: string;
  action: string;
  result: string;
  status: number;
  detail?: string;
  /** Refusals this line stands for (1 for the first of a burst). */
  count: number;
  /** For a burst summary: the first and last refusal it counts. */
  first?: string;
  last?: string;
}

interface Burst {
  entry: Omit<RefusalEntry, "count" | "time">;
  started: number;
  count: number;
  first: number;
  last: number;
}

const MAX_OPEN = 256;

/**
 * Refused control requests (no token, a wrong one, rate limited, control disabled), kept apart from
 * the authorised actions' audit log so that no flood of refusals can rotate one out, and aggregated:
 * the first refusal per client, action and result in each window is written at once; the others in
 * that window become one line with their `count` when it closes. Past 256 open bursts (many client
 * addresses), further ones are counted under client "(many)". One deadline timer, only while a burst
 * is open.
 */
export class RefusalLog {
  readonly file: JsonLinesLog<RefusalEntry>;
  private readonly open = new Map<string, Burst>();
  private timer: NodeJS.Timeout | null = null;
  /** Refusals counted since start (all of them, written or aggregated). */
  total = 0;

  constructor(
    path: string,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
    private readonly onError: (err: Error) => void = () => {},
  ) {
    this.file = new JsonLinesLog<RefusalEntry>(path);
  }

  async record(e: Omit<RefusalEntry, "count" | "time">): Promise<void> {
    this.total++;
    const now = this.now();
    let key = `${e.client}\0${e.action}\0${e.result}`;
    let entry = e;
    if (!this.open.has(key) && this.open.size >= MAX_OPEN) {
      entry = { ...e, client: "(many)" };
      key = `(many)\0${e.action}\0${e.result}`;
    }
    const b = this.open.get(key);
    if (b && now - b.started < this.windowMs) {
      b.count++;
      b.last = now;
      return;
    }
    if (b) await this.close(key, b);
    this.open.set(key, { entry, started: now, count: 0, first: now, last: now });
    this.arm();
    await this.write({ ...entry, time: iso(now), count: 1 });
  }

  /** Write every open burst's count (at stop). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const [k, b] of [...this.open]) await this.close(k, b);
  }

  tail(n: number): RefusalEntry[] {
    return this.file.tail(n);
  }

  private async close(key: string, b: Burst): Promise<void> {
    this.open.delete(key);
    if (b.count === 0) return;
    await this.write({
      ...b.entry,
      time: iso(b.last),
      count: b.count,
      first: iso(b.first),
      last: iso(b.last),
      detail: `${b.count} more refused within ${Math.round(this.windowMs / 1000)} s${b.entry.detail ? `: ${b.entry.detail}` : ""}`,
    });
  }

  private arm(): void {
    if (this.timer || this.open.size === 0) return;
    let due = Number.POSITIVE_INFINITY;
    for (const b of this.open.values()) due = Math.min(due, b.started + this.windowMs);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        const now = this.now();
        const closing = [...this.open].filter(([, b]) => now - b.started >= this.windowMs);
        void (async () => {
          for (const [k, b] of closing) await this.close(k, b);
          this.arm();
        })();
      },
      Math.max(10, due - this.now()),
    );
    this.timer.unref();
  }

  private async write(e: RefusalEntry): Promise<void> {
    try {
      await this.file.append(e);
    } catch (err) {
      this.onError(err as Error);
    }
  }
}

const iso = (t: number) => new Date(t).toISOString();
