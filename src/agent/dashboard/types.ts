import type { AlertState } from "../../notify/alert.ts";
import type { JsonObject } from "../../protocol/json.ts";

/**
 * What the dashboard's stream sends (`GET /api/events`), as types the page imports (`import type`)
 * instead of redefining them. This file imports no code, so the page's type check does not pull in
 * the agent. The collectors' data shapes are in ../collectors/data.ts.
 */

/** One collector's last result (`sample` frames, the snapshot's `collectors`). */
export type CollectorResultFrame = {
  collector: string;
  ok: boolean;
  /** ms since the epoch when the run finished. */
  at: number;
  durationMs: number;
  /** {} when the run failed. */
  data: JsonObject;
  error?: string;
};

/** What the page may ask for without hitting a 404, and which control buttons can work. */
export type DashboardFeatures = {
  /** `files.photos` is configured. */
  photos: boolean;
  /** `files.logs` is configured. */
  logs: boolean;
  /** The recovery module is on. */
  recovery: boolean;
  control: {
    /** `http.token` is set. */
    token: boolean;
    actions: { camera_test: boolean; camera_recover: boolean; restart_services: boolean; reboot: boolean };
  };
};

/** The first frame of every stream: everything the page needs to draw itself at once. */
export type DashboardSnapshot = {
  /** The merged status document (as `status` frames). */
  document: JsonObject;
  collectors: Record<string, CollectorResultFrame>;
  alerts: AlertState[];
  started_at: string;
  server_time: string;
  features: DashboardFeatures;
};

export type { AlertState };
