// The fleet API's answers (docs/hub-api.md), shared by the hub and the fleet page. Type-only: no
// runtime imports, so the page can `import type` from here. The one runtime constant (the history
// keys the detail page charts) is in ./history-keys.ts.

export type DeviceState = "new" | "up" | "late" | "down";

/** What the hub derives from each push (the pushed status document and samples); null = unknown. */
export interface DeviceSummary {
  /** capturing, creating_video, idle, … */
  status: string | null;
  captures_today: number | null;
  /** Today's target when the device knows one. */
  captures_expected: number | null;
  /** ISO time of the newest photo. */
  last_capture_at: string | null;
  /** 0..1 */
  disk_used_ratio: number | null;
  disk_free_bytes: number | null;
  temperature_c: number | null;
  cpu_ratio: number | null;
  memory_ratio: number | null;
  upload_success_ratio: number | null;
}

export interface FleetAlert {
  key: string;
  rule: string;
  severity: "info" | "warning" | "critical";
  summary: string;
  since: string | null;
  source: "device" | "hub";
  silenced: boolean;
}

export interface FleetDevice {
  // the fields GET /api/v1/devices always returned:
  id: string;
  site: string | null;
  tags: string[];
  state: DeviceState;
  since: string;
  last_seen: string | null;
  interval_seconds: number;
  offline_after_seconds: number;
  status: string | null;
  clock_ahead: boolean;
  clock_offset_seconds: number | null;
  pushes: number;
  silenced: boolean;
  /** Inside a maintenance window (a silence that started later than it was created). */
  maintenance: boolean;
  summary: DeviceSummary;
  /** Firing: the device's own (pushed) plus the hub's (device_down, …). */
  alerts: FleetAlert[];
  /** url = /api/v1/devices/<id>/thumbnail?v=<ms> */
  thumbnail: { url: string; at: string } | null;
}

export interface FleetOverview {
  devices: number;
  up: number;
  late: number;
  down: number;
  new: number;
  maintenance: number;
  alerts_firing: number;
}

/** day = YYYY-MM-DD in the hub's local time zone. */
export interface DailyPoint {
  day: string;
  captures: number | null;
  expected: number | null;
}

export type CommandAction = "test_camera" | "restart_service" | "reboot";

export interface CommandView {
  id: string;
  device: string;
  action: CommandAction;
  args: Record<string, unknown>;
  state: "queued" | "sent" | "done" | "failed";
  created_at: string;
  sent_at: string | null;
  finished_at: string | null;
  output: string | null;
  by: string;
}

export interface AuditEntry {
  t: string;
  actor: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
}

export interface ShareView {
  id: string;
  label: string;
  created_at: string;
  expires_at: string | null;
}

export type StreamMessage =
  | { type: "snapshot"; overview: FleetOverview; devices: FleetDevice[] }
  | { type: "device"; overview: FleetOverview; device: FleetDevice }
  | { type: "removed"; overview: FleetOverview; id: string };

/** GET /api/v1/alerts items: the hub's own alerts (times ISO). */
export interface AlertView {
  id: string;
  kind: "device_down" | "site_unreachable" | "check_down" | "device";
  subject: string;
  site: string;
  state: "firing" | "resolved";
  since: string;
  resolved_at: string | null;
  summary: string;
  /** false: recorded while silenced, not notified. */
  notified: boolean;
}

/** GET /api/v1/events and /api/v1/devices/<id>/events items (time ISO). */
export interface EventView {
  t: string;
  device: string;
  kind: "device" | "hub";
  level: string;
  source: string;
  message: string;
}

/** GET /api/v1/checks items: a dead-man check, its ping URL and state. */
export interface CheckView {
  uuid: string;
  slug: string | null;
  name: string;
  period_ms: number;
  grace_ms: number;
  schedule: string | null;
  state: "new" | "up" | "started" | "down";
  last_ping: string | null;
  started_at: number | null;
  start_rid: string | null;
  last_exit: number | null;
  last_body: string | null;
  pings: number;
  created: number;
  device: string | null;
  ping_url: string;
}

/** GET /api/v1/silences items: a silence, or a maintenance window when made ahead of its start (epoch ms). */
export interface SilenceView {
  id: string;
  device: string | null;
  site: string | null;
  tag: string | null;
  starts_at: number;
  ends_at: number;
  comment: string;
  created_at: number | null;
}

/** GET /api/v1/devices/<id>/history. */
export interface HistoryAnswer {
  device: string;
  from: string;
  to: string;
  step_seconds: number;
  points: { t: string; values: Record<string, { avg: number; min: number; max: number }> }[];
}
