/**
 * One timer for many deadlines: a min-heap of (at, key); the single setTimeout is always armed for the
 * earliest. Re-arming a key replaces its deadline (stale heap entries are skipped when they surface).
 * Nothing polls: with no deadline pending, no timer runs.
 */
export class Deadlines {
  private heap: { at: number; key: string; gen: number }[] = [];
  private current = new Map<string, { at: number; gen: number }>();
  private gen = 0;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly fire: (key: string, now: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  set(key: string, at: number): void {
    const gen = ++this.gen;
    this.current.set(key, { at, gen });
    this.push({ at, key, gen });
    if (at < this.timerAt) this.arm();
  }

  clear(key: string): void {
    this.current.delete(key);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  get size(): number {
    return this.current.size;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
    while (this.heap.length > 0) {
      const top = this.heap[0] as { at: number; key: string; gen: number };
      if (this.current.get(top.key)?.gen !== top.gen) {
        this.pop();
        continue;
      }
      this.timerAt = top.at;
      // Capped at 1 s so a wall-clock step never leaves a deadline waiting long.
      this.timer = setTimeout(() => this.run(), Math.max(0, Math.min(top.at - this.now(), 1000)));
      this.timer.unref?.();
      return;
    }
  }

  private run(): void {
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.now();
    while (this.heap.length > 0 && (this.heap[0] as { at: number }).at <= now) {
      const top = this.pop();
      const cur = this.current.get(top.key);
      if (cur?.gen !== top.gen) continue;
      this.current.delete(top.key);
      try {
        this.fire(top.key, now);
      } catch {
        // a failing handler must not stop the other deadlines
      }
    }
    this.arm();
  }

  private push(e: { at: number; key: string; gen: number }): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((h[p] as typeof e).at <= e.at) break;
      h[i] = h[p] as typeof e;
      i = p;
    }
    h[i] = e;
  }

  private pop(): { at: number; key: string; gen: number } {
    const h = this.heap;
    const top = h[0] as { at: number; key: string; gen: number };
    const last = h.pop() as typeof top;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        const cur = (k: number) => (k === i ? last : (h[k] as typeof top));
        if (l < h.length && (h[l] as typeof top).at < cur(m).at) m = l;
        if (r < h.length && (h[r] as typeof top).at < cur(m).at) m = r;
        if (m === i) break;
        h[i] = h[m] as typeof top;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}
