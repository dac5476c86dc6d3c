import { promises as fsp } from "node:fs";
import { dirname } from "node:path";
import { mkdirp, writeFileAtomic } from "../../protocol/atomic.ts";

const DAY_MS = 86_400_000;

/**
 * Reboot guard: at most `limit` automatic reboots in any 24 h, counted from a file in the state
 * dir that is written (and fsynced) *before* the reboot command runs, so the count survives the
 * reboot itself and power cuts. An unreadable file counts as "limit reached": the guard fails
 * safe (stay up and alert) rather than risk a reboot loop.
 */
export class RebootGuard {
  private times: number[] = [];
  private corrupt: string | null = null;

  constructor(
    readonly path: string,
    readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  async load(): Promise<void> {
    try {
      await mkdirp(dirname(this.path));
    } catch (err) {
      this.corrupt = `cannot create ${dirname(this.path)} (${(err as Error).message}); automatic reboots are off until it exists`;
      return;
    }
    let text: string;
    try {
      text = await fsp.readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      this.corrupt = `cannot read ${this.path}: ${(err as Error).message}`;
      return;
    }
    try {
      const v = JSON.parse(text) as { reboots?: unknown };
      if (!Array.isArray(v.reboots)) throw new Error('expected {"reboots": [ISO times]}');
      this.times = v.reboots.map((t) => Date.parse(String(t))).filter((t) => Number.isFinite(t));
    } catch (err) {
      this.corrupt = `${this.path} is not valid (${(err as Error).message}); treating the daily reboot limit as reached`;
    }
  }

  /** Why the guard is in fail-safe mode, if it is. */
  get problem(): string | null {
    return this.corrupt;
  }

  /** Reboots in the last 24 h. */
  count(): number {
    const since = this.now() - DAY_MS;
    return this.times.filter((t) => t > since).length;
  }

  allowed(): boolean {
    return this.corrupt === null && this.count() < this.limit;
  }

  /** Persist a reboot about to happen (before running the command). */
  async record(): Promise<void> {
    const since = this.now() - DAY_MS;
    this.times = [...this.times.filter((t) => t > since), this.now()];
    const body = `${JSON.stringify({ reboots: this.times.map((t) => new Date(t).toISOString()) })}\n`;
    await writeFileAtomic(this.path, body, true);
    this.corrupt = null;
  }
}
