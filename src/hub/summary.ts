import type { JsonObject } from "../protocol/json.ts";
import type { DeviceSummary } from "./api-types.ts";
import { HISTORY_KEYS } from "./history-keys.ts";
import type { Sample } from "./store/types.ts";

/** Sample keys the hub adds to a push's newest sample (history and the daily counts read them). */
export const DERIVED_KEYS = {
  disk: HISTORY_KEYS.disk,
  upload: HISTORY_KEYS.upload,
  captures: "summary.captures_today",
  expected: "summary.captures_expected",
} as const;

export const EMPTY_SUMMARY: DeviceSummary = {
  status: null,
  captures_today: null,
  captures_expected: null,
  last_capture_at: null,
  disk_used_ratio: null,
  disk_free_bytes: null,
  temperature_c: null,
  cpu_ratio: null,
  memory_ratio: null,
  upload_success_ratio: null,
};

const obj = (v: unknown): JsonObject =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as JsonObject) : {};
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const ratio = (v: number | null) => (v === null ? null : Math.round(Math.min(1, Math.max(0, v)) * 1e4) / 1e4);
const OK = /^(ok|success|succeeded|done|uploaded)$/i;
const FAILED = /^(fail|failed|failure|error|errored)$/i;

/**
 * Upload success from the status document: a number `upload_success_ratio` (top level or under
 * `uploads`), else a program metric whose name mentions upload with samples labelled result=ok/failed.
 */
function uploadRatio(doc: JsonObject): number | null {
  const direct = num(doc.upload_success_ratio) ?? num(obj(doc.uploads).success_ratio);
  if (direct !== null) return ratio(direct);
  for (const [name, m] of Object.entries(obj(doc.metrics))) {
    if (!/upload/i.test(name)) continue;
    let ok = 0;
    let bad = 0;
    for (const s of Array.isArray(obj(m).samples) ? (obj(m).samples as unknown[]) : []) {
      const r = String(obj(obj(s).labels).result ?? obj(obj(s).labels).status ?? "");
      const v = num(obj(s).value) ?? 0;
      if (OK.test(r)) ok += v;
      else if (FAILED.test(r)) bad += v;
    }
    if (ok + bad > 0) return ratio(ok / (ok + bad));
  }
  return null;
}

/**
 * The device's summary after one push: the status document (when the push carried one) and the
 * newest sample's values; whatever the push does not say keeps its previous value.
 */
export function deriveSummary(prev: DeviceSummary, status: JsonObject | null, samples: Sample[]): DeviceSummary {
  const s: DeviceSummary = { ...prev };
  if (status) {
    s.status = typeof status.status === "string" ? status.status : null;
    const today = obj(status.today);
    s.captures_today = num(today.photos_captured) ?? num(today.captures) ?? num(today.videos_recorded);
    s.captures_expected = num(today.expected_photos) ?? num(today.expected_captures);
    const last = obj(status.last_capture);
    const lastAt = typeof last.time === "string" && !Number.isNaN(Date.parse(last.time)) ? last.time : null;
    if (lastAt && last.success !== false) s.last_capture_at = new Date(lastAt).toISOString();
    const pct = num(status.disk_percent);
    s.disk_used_ratio = pct === null ? null : ratio(pct / 100);
    s.disk_free_bytes = num(status.disk_free_bytes);
    s.temperature_c = num(status.cpu_temperature_celsius);
    s.upload_success_ratio = uploadRatio(status);
  }
  const newest = samples.reduce<Sample | null>((a, b) => (!a || b.t >= a.t ? b : a), null);
  if (newest) {
    const v = newest.v;
    s.cpu_ratio = ratio(num(v[HISTORY_KEYS.cpu]) ?? s.cpu_ratio);
    s.memory_ratio = ratio(num(v[HISTORY_KEYS.memory]) ?? s.memory_ratio);
    s.temperature_c = num(v[HISTORY_KEYS.temperature]) ?? s.temperature_c;
  }
  return s;
}

/** The derived values worth a history line, as sample keys (added to the push's newest sample). */
export function derivedSample(s: DeviceSummary): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (k: string, v: number | null) => {
    if (v !== null) out[k] = v;
  };
  put(DERIVED_KEYS.disk, s.disk_used_ratio);
  put(DERIVED_KEYS.upload, s.upload_success_ratio);
  put(DERIVED_KEYS.captures, s.captures_today);
  put(DERIVED_KEYS.expected, s.captures_expected);
  return out;
}
