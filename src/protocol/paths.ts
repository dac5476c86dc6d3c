import { join } from "node:path";

export const DEFAULT_STATUS_DIR = "/run/edgewatch";

export interface DirOptions {
  /** The status directory; defaults to $EDGEWATCH_DIR (when not empty), then /run/edgewatch. */
  dir?: string;
}

export function statusDir(opts?: DirOptions): string {
  return opts?.dir || process.env.EDGEWATCH_DIR || DEFAULT_STATUS_DIR;
}

export const layout = (dir: string) => ({
  fragments: join(dir, "status.d"),
  fragment: (source: string) => join(dir, "status.d", `${source}.json`),
  eventsTmp: join(dir, "events", "tmp"),
  eventsNew: join(dir, "events", "new"),
  eventsBad: join(dir, "events", "bad"),
});
