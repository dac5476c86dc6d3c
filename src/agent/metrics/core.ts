import type { JsonObject } from "../../protocol/json.ts";
import { STATUSES } from "../../protocol/names.ts";
import type { MetricFamily } from "../module.ts";

export interface CoreMetricsInput {
  /** The merged device document (fragments only). */
  document: JsonObject;
  /** Each source's heartbeat (fragment mtime, epoch ms). */
  heartbeats: ReadonlyMap<string, number>;
  errorsCurrent: number;
  quiet: boolean;
  readerWarnings: number;
  version: string;
  nodeVersion: string;
  now: number;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const obj = (v: unknown): JsonObject =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as JsonObject) : {};

/** The agent's own series: liveness, build, heartbeats, errors, device status, quiet mode. */
export function coreFamilies(i: CoreMetricsInput): MetricFamily[] {
  const status = typeof i.document.status === "string" ? i.document.status : "";
  return [
    { name: "edgewatch_up", help: "1 while the agent is running and serving", type: "gauge", samples: [{ value: 1 }] },
    {
      name: "edgewatch_build_info",
      help: "Agent version and Node.js runtime (always 1)",
      type: "gauge",
      samples: [{ labels: { version: i.version, node_version: i.nodeVersion }, value: 1 }],
    },
    {
      name: "edgewatch_heartbeat_age_seconds",
      help: "Seconds since each status source last wrote its fragment (its heartbeat)",
      type: "gauge",
      unit: "seconds",
      samples: [...i.heartbeats].map(([source, at]) => ({
        labels: { source },
        value: Math.max(0, Math.round((i.now - at) / 100) / 10),
      })),
    },
    {
      name: "edgewatch_errors_current",
      help: "Error and critical events received in the last hour",
      type: "gauge",
      samples: [{ value: i.errorsCurrent }],
    },
    {
      name: "edgewatch_device_status",
      help: "1 for the device's current status, 0 for the others",
      type: "gauge",
      samples: STATUSES.map((s) => ({ labels: { status: s }, value: s === status ? 1 : 0 })),
    },
    {
      name: "edgewatch_quiet_mode",
      help: "1 while the device is creating a video and non-essential sampling is paused",
      type: "gauge",
      samples: [{ value: i.quiet ? 1 : 0 }],
    },
    {
      name: "edgewatch_reader_warnings_total",
      help: "Warnings raised by the status reader (bad fragments or events)",
      type: "counter",
      samples: [{ value: i.readerWarnings }],
    },
  ];
}

/**
 * Capture counters taken straight from the merged document (`today` and `last_capture`).
 * The agent renders these only when no module (the collectors' capture schedule) exports the same
 * family, so a name never appears twice.
 */
export function documentFamilies(doc: JsonObject): MetricFamily[] {
  const today = obj(doc.today);
  const last = obj(doc.last_capture);
  const out: MetricFamily[] = [];
  const captured = num(today.photos_captured);
  if (captured !== null) {
    out.push({
      name: "edgewatch_photos_captured_today",
      help: "Photos captured today, as the capture program reports (today.photos_captured)",
      type: "gauge",
      samples: [{ value: captured }],
    });
  }
  const expected = num(today.expected_photos);
  if (expected !== null) {
    out.push({
      name: "edgewatch_photos_expected_today",
      help: "Photos expected today by the schedule (today.expected_photos)",
      type: "gauge",
      samples: [{ value: expected }],
    });
  }
  const t = typeof last.time === "string" ? Date.parse(last.time) : Number.NaN;
  if (!Number.isNaN(t)) {
    out.push({
      name: "edgewatch_last_capture_timestamp_seconds",
      help: "Unix time of the last capture attempt (last_capture.time)",
      type: "gauge",
      unit: "seconds",
      samples: [{ value: t / 1000 }],
    });
  }
  return out;
}
