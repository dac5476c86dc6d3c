import { describeValue, EdgewatchError } from "./errors.ts";

export const SOURCE_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const STATUSES = ["idle", "waiting", "capturing", "creating_video", "backing_up", "uploading", "error"] as const;
export type DeviceStatusValue = (typeof STATUSES)[number];
export const LEVELS = ["debug", "info", "warning", "error", "critical"] as const;
export type Level = (typeof LEVELS)[number];

export const MAX_FRAGMENT_BYTES = 1024 * 1024;
export const MAX_EVENT_BYTES = 64 * 1024;

/** Keys the agent owns in the merged document; a fragment's copy of them is ignored. */
export const AGENT_OWNED_KEYS = [
  "device_id",
  "site",
  "uptime_seconds",
  "disk_percent",
  "disk_free_bytes",
  "cpu_temperature_celsius",
  "errors",
  "sources",
  "agent",
] as const;

export function isLevel(v: unknown): v is Level {
  return typeof v === "string" && (LEVELS as readonly string[]).includes(v);
}

export function levelRank(level: Level): number {
  return LEVELS.indexOf(level);
}

export function isStatus(v: unknown): v is DeviceStatusValue {
  return typeof v === "string" && (STATUSES as readonly string[]).includes(v);
}

export function checkSource(source: unknown): string {
  if (typeof source !== "string" || !SOURCE_RE.test(source)) {
    throw new EdgewatchError(
      "EW_BAD_SOURCE",
      `source name: expected [a-z0-9][a-z0-9_-]{0,63} (e.g. "timelapse"), got ${describeValue(source)}`,
    );
  }
  return source;
}

export function checkLevel(level: unknown): Level {
  if (!isLevel(level)) {
    throw new EdgewatchError("EW_BAD_LEVEL", `level: expected one of ${LEVELS.join("|")}, got ${describeValue(level)}`);
  }
  return level;
}
