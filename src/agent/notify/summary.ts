import type { Clock } from "../../lib/clock.ts";
import { nextLocalTime } from "../../lib/time-of-day.ts";
import { getPath } from "../../protocol/json.ts";
import { liveFields } from "../core/index.ts";
import type { DeviceState } from "../state.ts";

/**
 * The daily summary text (photos, video, disk, backup, upload, the day's errors). Photos, video and
 * backup come from the writers' status document; disk is what the agent itself measures (the
 * system collector's first mount), falling back to a writer's `disk_percent`/`disk_free_bytes` only
 * while the agent has no measurement.
 */
export function dailySummaryText(deviceId: string, date: string, state: DeviceState, errors: string[]): string {
  const doc = state.document;
  const live = liveFields(state);
  const n = (p: string) => {
    const v = p in live && live[p] !== null ? live[p] : getPath(doc, p);
    return typeof v === "number" && Number.isFinite(v) ? v : null;
  };
  const photos = n("today.photos_captured");
  const expected = n("today.expected_photos");
  const videoSecs = n("last_video.duration_seconds");
  const diskPct = n("disk_percent");
  const diskFree = n("disk_free_bytes");
  const backed = getPath(doc, "last_video.backed_up");
  const yt = getPath(doc, "last_video.youtube_url");
  const lines = [`${deviceId} Daily Summary - ${date}`, ""];
  lines.push(
    `Photos: ${photos === null ? "unknown" : `${photos} captured${expected ? ` of ${expected} expected` : ""}`}`,
  );
  lines.push(`Video: ${videoSecs === null ? "none" : `${videoSecs} seconds`}`);
  lines.push(
    `Disk: ${diskPct === null ? "unknown" : `${Math.round(diskPct)}% used`}${diskFree === null ? "" : ` (${(diskFree / 1e9).toFixed(1)}GB free)`}`,
  );
  lines.push(`Backup: ${backed === true ? "Complete" : backed === false ? "Not done" : "unknown"}`);
  lines.push(`YouTube: ${typeof yt === "string" && yt ? "Uploaded" : "Not uploaded"}`);
  lines.push("");
  if (errors.length === 0) lines.push("No errors today.");
  else {
    lines.push(`${errors.length} error${errors.length === 1 ? "" : "s"} today:`);
    for (const e of errors.slice(-10)) lines.push(`- ${e}`);
  }
  return lines.join("\n");
}

/** Fires `fn` at the configured local time each day (one timer; re-armed after each run). */
export class DailyTimer {
  private timer: unknown = null;
  constructor(
    private readonly clock: Clock,
    private readonly hhmm: string,
    private readonly fn: () => Promise<void>,
  ) {}
  start(): void {
    const now = this.clock.now();
    this.timer = this.clock.setTimer(() => {
      void this.fn().finally(() => this.start());
    }, nextLocalTime(now, this.hhmm) - now);
  }
  stop(): void {
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
  }
}
