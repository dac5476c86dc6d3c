import { join } from "node:path";
import { writeFileAtomic } from "./atomic.ts";
import type { DeviceEvent } from "./events.ts";
import { isPlainObject, toJson } from "./json.ts";
import { isLevel, MAX_FRAGMENT_BYTES } from "./names.ts";
import { readRegularFile } from "./read-file.ts";

/** The source name the timelapse scripts' single status file is read as. */
export const LEGACY_SOURCE = "legacy";

/**
 * The timelapse scripts' single status file carries an `errors[]` list instead of events: each entry becomes one
 * event of source `legacy`, once, even across agent restarts (remembered in
 * <dir>/legacy-errors-seen.json for as long as the file still holds the entry).
 */
export class LegacyErrors {
  private seen = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly onEvent: (ev: DeviceEvent, id: string) => void | Promise<void>,
    private readonly warn: (reason: string) => void,
  ) {}

  private get path(): string {
    return join(this.dir, "legacy-errors-seen.json");
  }

  async load(): Promise<void> {
    try {
      const v: unknown = JSON.parse((await readRegularFile(this.path, 2 * MAX_FRAGMENT_BYTES)).buf.toString());
      this.seen = new Set(Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
    } catch {
      this.seen = new Set();
    }
  }

  /** Hands on the entries not seen before, in order. */
  async handOn(errors: unknown): Promise<void> {
    const entries = Array.isArray(errors) ? errors : [];
    const keys = entries.map((e) => toJson(e));
    const fresh = keys.flatMap((k, i) => (this.seen.has(k) ? [] : [i]));
    if (fresh.length === 0 && keys.length === this.seen.size) return;
    // Only what the file still holds is remembered, so the set stays as small as the file; an entry
    // counts as seen as soon as it is handed on, so a failure half-way never hands on one twice.
    const seen = new Set(keys.filter((k) => this.seen.has(k)));
    try {
      for (const i of fresh) {
        const e: unknown = entries[i];
        const key = keys[i] as string;
        if (seen.has(key)) continue; // the same entry twice in the file
        const o = isPlainObject(e) ? e : {};
        const ev: DeviceEvent = {
          time: legacyTime(o.time ?? o.timestamp),
          level: isLevel(o.level) ? o.level : "error",
          source: LEGACY_SOURCE,
          message: typeof e === "string" ? e : typeof o.message === "string" ? o.message : key,
        };
        if (typeof o.code === "string") ev.code = o.code;
        await this.onEvent(ev, `${LEGACY_SOURCE}:${key}`);
        seen.add(key);
      }
    } finally {
      this.seen = seen;
      await writeFileAtomic(this.path, JSON.stringify([...seen])).catch((err: Error) =>
        this.warn(`cannot persist seen errors: ${err.message}`),
      );
    }
  }
}

/** Timelapse scripts write local ISO times without a zone, or epoch seconds; anything else means "now". */
function legacyTime(v: unknown): string {
  if (typeof v === "number" && Number.isFinite(v)) return new Date(v < 1e12 ? v * 1000 : v).toISOString();
  const ms = typeof v === "string" ? Date.parse(v) : Number.NaN;
  return new Date(Number.isNaN(ms) ? Date.now() : ms).toISOString();
}
