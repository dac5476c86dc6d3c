import type { JsonObject } from "../../protocol/json.ts";
import type { FleetTables } from "./fleet.ts";

export type DeviceState = "new" | "up" | "late" | "down";

export interface DeviceRow {
  id: string;
  site: string;
  tags: string[];
  token_hash: string;
  enrolled_at: number;
  /** Hub receive time (ms) of the last push; null before the first. */
  last_seen: number | null;
  interval_ms: number;
  boot_id: string | null;
  last_seq: number;
  /** Last acknowledged sequence number per recent boot id (replays are refused). */
  boots: Record<string, number>;
  status: JsonObject | null;
  exposition: string | null;
  /** Device clock minus hub clock at the last push, ms. */
  clock_offset_ms: number | null;
  clock_ahead: boolean;
  state: DeviceState;
  state_since: number;
  pushes: number;
}

export interface Sample {
  t: number;
  v: Record<string, number>;
}

export interface PushEvent {
  t: number;
  level: string;
  source: string;
  message: string;
}

export interface PushBatch {
  device: string;
  boot_id: string;
  seq: number;
  received: number;
  interval_ms: number;
  status: JsonObject | null;
  exposition: string | null;
  samples: Sample[];
  events: PushEvent[];
  alerts: JsonObject[];
  clock_offset_ms: number;
  clock_ahead: boolean;
  /** Device data (key → text: the fleet summary, alerts, thumbnail) written in the push's transaction. */
  data?: Record<string, string>;
}

export interface EventRow extends PushEvent {
  device: string;
  kind: "device" | "hub";
}

export interface AlertRow {
  id: string;
  kind: "device_down" | "site_unreachable" | "check_down" | "device";
  subject: string;
  site: string;
  state: "firing" | "resolved";
  since: number;
  resolved_at: number | null;
  summary: string;
  notified: boolean;
}

export interface CheckRow {
  uuid: string;
  slug: string | null;
  name: string;
  period_ms: number;
  grace_ms: number;
  schedule: string | null;
  state: "new" | "up" | "started" | "down";
  last_ping: number | null;
  started_at: number | null;
  start_rid: string | null;
  last_exit: number | null;
  last_body: string | null;
  pings: number;
  created: number;
  /** The device this check watches (shown on its page), if any. */
  device: string | null;
}

export interface SilenceRow {
  id: string;
  device: string | null;
  site: string | null;
  tag: string | null;
  starts_at: number;
  ends_at: number;
  comment: string;
  /** When it was made; a silence made ahead of its start is a maintenance window. Null: made before this was kept. */
  created_at: number | null;
}

export interface HistoryPoint {
  t: number;
  values: Record<string, { avg: number; min: number; max: number }>;
}

export interface Tier {
  step: number;
  keep: number;
}

/** The parts of the hub's config a store is opened with. */
export interface StoreConfig {
  readonly store: { type: "sqlite"; file?: string | undefined } | { type: "postgres"; url: string };
  readonly state_dir: string;
  readonly retention: Tier[];
  readonly ingest: { readonly commit_interval: number };
}

export interface StoreStats {
  batches: number;
  commits: number;
  samples: number;
}

/**
 * Everything the hub keeps. `ingest` resolves only after the batch is committed (the hub acknowledges
 * a push only then); "replay" means this (boot id, sequence) was already acknowledged and nothing was written.
 * Two implementations: ./sqlite.ts (default) and ./postgres.ts; test/hub/store.contract.ts runs on both.
 */
export interface HubStore {
  readonly kind: "sqlite" | "postgres";
  readonly stats: StoreStats;
  /** The fleet page's tables: per-device summary and thumbnail, commands, share tokens. */
  readonly fleet: FleetTables;
  init(): Promise<void>;
  close(): Promise<void>;
  enroll(d: {
    id: string;
    site: string;
    tags: string[];
    token_hash: string;
    now: number;
    interval_ms: number;
  }): Promise<"created" | "exists">;
  deviceByTokenHash(hash: string): Promise<DeviceRow | null>;
  getDevice(id: string): Promise<DeviceRow | null>;
  listDevices(): Promise<DeviceRow[]>;
  deleteDevice(id: string): Promise<boolean>;
  ingest(b: PushBatch): Promise<"stored" | "replay">;
  setDeviceState(id: string, state: DeviceState, since: number): Promise<void>;
  history(device: string, from: number, to: number, step: number): Promise<HistoryPoint[]>;
  addEvent(e: EventRow): Promise<void>;
  events(opts: { device?: string; limit: number }): Promise<EventRow[]>;
  putAlert(a: AlertRow): Promise<void>;
  alerts(opts: { state?: "firing" | "resolved"; limit: number }): Promise<AlertRow[]>;
  putCheck(c: CheckRow): Promise<void>;
  getCheck(uuid: string): Promise<CheckRow | null>;
  checksBySlug(slug: string): Promise<CheckRow[]>;
  listChecks(): Promise<CheckRow[]>;
  deleteCheck(uuid: string): Promise<boolean>;
  putSilence(s: SilenceRow): Promise<void>;
  listSilences(): Promise<SilenceRow[]>;
  deleteSilence(id: string): Promise<boolean>;
  /** Drop rollup buckets past their tier's `keep`; returns rows removed. */
  prune(now: number): Promise<number>;
}

/** The finest tier whose buckets are still kept at `from`, and at least `step` wide. */
export function pickTier(tiers: Tier[], now: number, from: number, step: number): Tier {
  const sorted = [...tiers].sort((a, b) => a.step - b.step);
  for (const t of sorted) if (now - t.keep <= from && t.step >= Math.min(step, sorted.at(-1)?.step ?? step)) return t;
  return sorted.at(-1) as Tier;
}

/** Average/min/max of one key in one bucket. */
export function bucketOf(t: number, step: number): number {
  return Math.floor(t / step) * step;
}
