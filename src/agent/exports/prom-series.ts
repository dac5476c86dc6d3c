import type { MetricFamily } from "../../lib/metrics.ts";
import { ProtoWriter } from "../../lib/protobuf.ts";

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** One series of a scrape: its labels sorted by name (with __name__), and its value. */
export interface Series {
  labels: [string, string][];
  value: number;
}

/**
 * Metric families → remote_write series, with the names /metrics gives them (a counter's samples end
 * in `_total`) and the same skips (invalid or repeated names, repeated series). Labels: the sample's
 * own, then the device/site labels over them, external labels only where neither set one; empty values
 * are left out (an empty label is an absent one), names sorted and unique.
 */
export function familiesToSeries(
  families: readonly MetricFamily[],
  base: Record<string, string>,
  external: Record<string, string> = {},
): Series[] {
  const out: Series[] = [];
  const seen = new Set<string>();
  for (const f of families) {
    if (!NAME_RE.test(f.name)) continue;
    const counter = f.type === "counter";
    const stem = counter && f.name.endsWith("_total") ? f.name.slice(0, -6) : f.name;
    if (seen.has(stem)) continue;
    seen.add(stem);
    const name = counter ? `${stem}_total` : f.name;
    const series = new Set<string>();
    for (const s of f.samples) {
      if (typeof s.value !== "number") continue;
      const l: Record<string, string> = { ...external };
      let bad = false;
      for (const [k, v] of Object.entries(s.labels ?? {})) {
        if (!LABEL_RE.test(k) || k.startsWith("__")) bad = true;
        else l[k] = String(v);
      }
      if (bad) continue;
      Object.assign(l, base);
      l.__name__ = name;
      const labels = Object.entries(l)
        .filter(([, v]) => v !== "")
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const key = JSON.stringify(labels);
      if (series.has(key)) continue;
      series.add(key);
      out.push({ labels, value: s.value });
    }
  }
  return out;
}

/**
 * Protobuf `WriteRequest` with one TimeSeries per series, each with one sample at `tsMs`.
 * Two such messages concatenated are again one WriteRequest (repeated fields append).
 */
export function encodeWriteRequest(series: readonly Series[], tsMs: number): Uint8Array {
  const w = new ProtoWriter();
  for (const s of series) {
    w.message(1, (ts) => {
      for (const [k, v] of s.labels) ts.message(1, (l) => l.string(1, k).string(2, v));
      ts.message(2, (sm) => sm.double(1, s.value).int64(2, Math.round(tsMs)));
    });
  }
  return w.finish();
}
