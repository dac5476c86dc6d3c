import type { QueueCollection } from "../../jobs/queues/types.ts";

/**
 * The data each collector produces (its last run, as `/api/health`, `/api/events` and the rules see
 * it), keyed by collector name in `CollectorDataMap`. A `null` field means "no data" (missing
 * hardware), never an error. This file imports no code: the rules, the metrics, the CLI and the web
 * page (`import type`) read these shapes without pulling in the collectors, their config or Node.
 * A new collector adds its shape here and one line to the map.
 */

/** One mount of `collectors.system.mounts`, as `df` computes it. */
export type DiskUsage = {
  mount: string;
  total_bytes: number | null;
  /** Available to unprivileged users (reserved blocks are not free). */
  free_bytes: number | null;
  /** 0–1. */
  usage_ratio: number | null;
  error?: string;
};

/** The TCP check of `collectors.system.reachability`. */
export type Reachability = {
  host: string;
  port: number;
  reachable: boolean;
  latency_seconds: number | null;
  error?: string;
};

/** `system`: /proc (CPU, load, memory, swap, uptime), the mounts, the reachability check. Ratios are 0–1. */
export type SystemData = {
  cpu_usage_ratio: number | null;
  load1: number | null;
  load5: number | null;
  load15: number | null;
  memory_total_bytes: number | null;
  memory_available_bytes: number | null;
  memory_usage_ratio: number | null;
  swap_total_bytes: number | null;
  swap_free_bytes: number | null;
  uptime_seconds: number | null;
  disks: DiskUsage[];
  reachability: Reachability | null;
};

export type ThermalZone = { zone: string; type: string | null; celsius: number | null };

/** `thermal`: every thermal zone, and the CPU/SoC one. */
export type ThermalData = {
  cpu_temperature_celsius: number | null;
  cpu_zone: string | null;
  zones: ThermalZone[];
};

export type ThrottleCondition = "under_voltage" | "arm_frequency_capped" | "throttled" | "soft_temperature_limit";
export type ThrottleFlags = Record<ThrottleCondition, boolean | null>;

/** `rpi_power`: the Raspberry Pi firmware's throttled word and the hwmon under-voltage alarm. */
export type RpiPowerData = {
  /** null: not a Raspberry Pi (or the interfaces are not exposed). */
  source: "get_throttled" | "hwmon" | null;
  raw: string | null;
  now: ThrottleFlags;
  since_boot: ThrottleFlags;
  under_voltage_alarm: boolean | null;
  error?: string;
};

/** The last result of the periodic camera test command. */
export type CameraTestResult = {
  ok: boolean;
  result: string;
  exit_code?: number | null;
  duration_ms?: number;
  error: string | null;
  output?: string;
};

/** The periodic camera test (`collectors.camera.test`). */
export type CameraTestData = {
  command: string;
  every_seconds: number;
  running: boolean;
  /** Why a due test is held back (e.g. "video encoding to end"), or null. */
  waiting_for: string | null;
  last_run: string | null;
  last_ok: boolean | null;
  consecutive_failures: number;
  last_result: CameraTestResult | null;
};

/** `camera`: the last N capture attempts (status document and CAP-* events) and the camera test. */
export type CameraData = {
  captures_considered: number;
  last_capture_time: string | null;
  last_capture_age_seconds: number | null;
  last_capture_success: boolean | null;
  last_success_time: string | null;
  last_success_timestamp_seconds: number | null;
  consecutive_failures: number;
  /** 0–1 over the window. */
  success_rate: number | null;
  /** 0–100 (docs/operations.md "Collectors"). */
  health_score: number | null;
  last_error: { time: string; code: string | null; message: string; source: string } | null;
  /** null unless `collectors.camera.test` is configured. */
  test: CameraTestData | null;
};

/** `schedule`: today's capture progress against the capture window, and a stalled capture. */
export type ScheduleData = {
  date: string;
  document_date: string | null;
  date_stale: boolean;
  photos_captured_today: number | null;
  photos_expected_today: number | null;
  progress_ratio: number | null;
  window_start: string | null;
  window_end: string | null;
  in_window: boolean | null;
  capture_interval_seconds: number | null;
  stall_after_seconds: number;
  last_photo_time: string | null;
  seconds_since_photo: number | null;
  stalled: boolean | null;
  reason: string | null;
};

/** `redis`: PING and INFO memory. Down is data (`up: false`, `error`), not a failed run. */
export type RedisData = {
  target: string;
  up: boolean;
  ping_seconds: number | null;
  used_memory_bytes: number | null;
  used_memory_rss_bytes: number | null;
  maxmemory_bytes: number | null;
  error: string | null;
};

/** `rq`, `bullmq`: the job queues in Redis, read-only. */
export type QueuesData = QueueCollection;

/** Every collector's data, by collector name. */
export type CollectorDataMap = {
  system: SystemData;
  thermal: ThermalData;
  rpi_power: RpiPowerData;
  camera: CameraData;
  schedule: ScheduleData;
  redis: RedisData;
  rq: QueuesData;
  bullmq: QueuesData;
};

export type CollectorName = keyof CollectorDataMap;

/** One collector's last result, as the agent serves it (`/api/events` `sample` and `snapshot`). */
export type CollectorResultOf<K extends CollectorName> = {
  collector: K;
  ok: boolean;
  /** ms since the epoch when the run finished. */
  at: number;
  durationMs: number;
  /** {} when the run failed. */
  data: CollectorDataMap[K] | Record<string, never>;
  error?: string;
};
