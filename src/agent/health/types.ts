import type { AlertState } from "../../notify/alert.ts";
import type { JsonObject } from "../../protocol/json.ts";

/** The types of the health module's answers, for their clients (the web page imports them); no code here. */

/** A subsystem's verdict in /health/deep and /api/health `checks`. */
export type HealthCheck = { ok: boolean; detail?: string };

/** A reader warning (a bad fragment or event), newest last. */
export interface AgentWarning {
  time: string;
  source: string;
  reason: string;
}

/** An error/critical event of the last hour. */
export interface RecentError {
  time: string;
  level: string;
  source: string;
  message: string;
  code?: string;
}

/** A collector's last run as /api/health shows it. */
export type CollectorRun = { ok: boolean; at: string; duration_ms: number; error?: string; data: JsonObject };

/** `GET /api/health`: everything at once. */
export type HealthAnswer = {
  timestamp: string;
  device_id: string;
  site: string;
  status: string;
  quiet: boolean;
  healthy: boolean;
  checks: Record<string, HealthCheck>;
  uptime_seconds: number;
  collectors: Record<string, CollectorRun>;
  alerts: AlertState[];
  errors: readonly RecentError[];
  warnings: readonly AgentWarning[];
};
