// The hub's API types, shared with the server (type-only: nothing of the hub is bundled).
export type * from "../../src/hub/api-types.ts";
export { HISTORY_KEYS } from "../../src/hub/history-keys.ts";

/** A silence or maintenance window as GET /api/v1/silences lists it (times in epoch ms). */
export interface SilenceView {
  id: string;
  device: string | null;
  site: string | null;
  tag: string | null;
  starts_at: number;
  ends_at: number;
  comment: string;
}

/** GET /api/v1/alerts items (the hub's own alerts: device_down, site_unreachable, check_down). */
export interface AlertRow {
  id: string;
  kind: string;
  subject: string;
  site: string;
  state: "firing" | "resolved";
  since: string;
  resolved_at: string | null;
  summary: string;
  notified: boolean;
}

/** GET /api/v1/devices/<id>/events items. */
export interface EventRow {
  t: string | number;
  device?: string;
  level: string;
  source: string;
  message: string;
}

/** GET /api/v1/checks items. */
export interface CheckRow {
  uuid: string;
  name: string;
  slug: string | null;
  state: string;
  last_ping: string | null;
  device?: string | null;
}

/** GET /api/v1/devices/<id>/history. */
export interface HistoryAnswer {
  from: string;
  to: string;
  points: { t: string; values: Record<string, { avg: number; min: number; max: number }> }[];
}
