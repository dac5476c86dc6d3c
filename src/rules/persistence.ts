import { promises as fsp } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "../lib/log.ts";
import { mkdirp, writeFileAtomic } from "../protocol/atomic.ts";
import type { Episode } from "./flapping.ts";
import type { Instance } from "./lifecycle.ts";
import { validSilences } from "./silences.ts";
import type { HistoryEntry, Silence } from "./types.ts";

/** The alert state file: active alerts, flapping memory, history and API silences (version 1). */
export interface Persisted {
  version: 1;
  instances: Instance[];
  fireTimes: [string, number[]][];
  episodes: [string, Episode][];
  history: HistoryEntry[];
  silences: Silence[];
}

/**
 * Read the state file. Missing: null. Unreadable or not version 1: null with a warning (start fresh).
 * An alert or silence that is not valid is dropped with a warning, the rest kept.
 */
export async function loadAlertState(file: string, log: Logger): Promise<Persisted | null> {
  let text: string;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT")
      log.warn(`cannot read alert state ${file}: ${(err as Error).message}; starting fresh`);
    return null;
  }
  try {
    const p = JSON.parse(text) as Persisted;
    if (p.version !== 1 || !Array.isArray(p.instances)) throw new Error("expected version 1 alert state");
    // an alert whose times no Date can hold would break every view of the alerts: dropped, the rest kept
    const isTime = (t: unknown) => typeof t === "number" && Number.isFinite(new Date(t).getTime());
    const instances = new Map(p.instances.map((i) => [i?.id, i] as const));
    for (const [id, i] of instances) {
      const ok =
        i !== null &&
        typeof i === "object" &&
        typeof i.rule === "string" &&
        isTime(i.pendingSince) &&
        (i.firingSince === undefined || isTime(i.firingSince));
      if (ok) continue;
      instances.delete(id);
      log.warn(`alert state ${file}: alert ${JSON.stringify(id).slice(0, 100)} is not valid; dropped`);
    }
    return {
      version: 1,
      instances: [...instances.values()],
      fireTimes: p.fireTimes,
      episodes: p.episodes,
      history: p.history,
      silences: validSilences(p.silences, file, log),
    };
  } catch (err) {
    log.warn(`alert state ${file} is unreadable (${(err as Error).message}); starting fresh`);
    return null;
  }
}

/**
 * Writes the state file atomically when something changed. A failed write keeps the state in memory,
 * is retried on the next change, and is logged once until a write works again.
 */
export class AlertStateFile {
  dirty = false;
  private warned = false;

  constructor(
    private readonly file: string | undefined,
    private readonly log: Logger,
  ) {}

  async save(state: () => Persisted): Promise<void> {
    if (!this.dirty || !this.file) return;
    this.dirty = false;
    try {
      await mkdirp(dirname(this.file));
      await writeFileAtomic(this.file, JSON.stringify(state()));
      this.warned = false;
    } catch (err) {
      this.dirty = true;
      if (!this.warned)
        this.log.error(`cannot save alert state to ${this.file}: ${(err as Error).message}; kept in memory`);
      this.warned = true;
    }
  }
}
