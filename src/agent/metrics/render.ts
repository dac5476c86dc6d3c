import type { MetricFamily } from "../module.ts";

export type MetricsFormat = "prometheus" | "openmetrics";

export const CONTENT_TYPES: Record<MetricsFormat, string> = {
  prometheus: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** OpenMetrics when the scraper lists application/openmetrics-text (Prometheus does, first), else 0.0.4 text. */
export function negotiateFormat(accept: string | undefined): MetricsFormat {
  if (!accept) return "prometheus";
  for (const part of accept.split(",")) {
    const [type, ...params] = part.trim().split(";");
    if (type?.trim().toLowerCase() !== "application/openmetrics-text") continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (q && Number(q.slice(2)) === 0) continue;
    return "openmetrics";
  }
  return "prometheus";
}

const NEEDS_ESCAPE = /[\\\n"]/;

function escapeLabel(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** 0.0.4 escapes backslash and newline in HELP; OpenMetrics also the double quote. */
function escapeHelp(v: string, format: MetricsFormat): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
  const s = v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  return format === "openmetrics" ? s.replace(/"/g, '\\"') : s;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

/** `device="pi",site="roof"` — computed once per agent, prepended to every series. */
export function baseLabelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(",");
}

export interface RenderProblem {
  family: string;
  reason: string;
}

/**
 * Render metric families in Prometheus text 0.0.4 or OpenMetrics 1.0. Every series gets the base
 * labels (device, site); a sample's own copy of a base label is dropped. A family whose name repeats an
 * earlier one, or that has an invalid name, is skipped and reported through `onProblem` — never a
 * malformed exposition that would fail the whole scrape.
 */
export function renderMetrics(
  families: readonly MetricFamily[],
  baseLabels: Record<string, string>,
  format: MetricsFormat,
  onProblem?: (p: RenderProblem) => void,
): string {
  const base = baseLabelText(baseLabels);
  const baseKeys = new Set(Object.keys(baseLabels));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of families) {
    const counter = f.type === "counter";
    const stem = counter && f.name.endsWith("_total") ? f.name.slice(0, -6) : f.name;
    if (!NAME_RE.test(f.name)) {
      onProblem?.({ family: f.name, reason: "invalid metric name" });
      continue;
    }
    if (seen.has(stem)) {
      onProblem?.({ family: f.name, reason: "duplicate metric family; the first one is kept" });
      continue;
    }
    seen.add(stem);
    const sampleName = counter ? `${stem}_total` : f.name;
    const typeName = counter && format === "openmetrics" ? stem : sampleName;
    out.push(`# HELP ${typeName} ${escapeHelp(f.help, format)}`);
    out.push(`# TYPE ${typeName} ${f.type}`);
    if (format === "openmetrics" && f.unit && typeName.endsWith(`_${f.unit}`)) out.push(`# UNIT ${typeName} ${f.unit}`);
    const seenSeries = new Set<string>();
    for (const s of f.samples) {
      if (typeof s.value !== "number") continue;
      let labels = base;
      if (s.labels) {
        const keys = Object.keys(s.labels).sort();
        let extra = "";
        let bad = false;
        for (const k of keys) {
          if (baseKeys.has(k)) continue;
          if (!LABEL_RE.test(k) || k.startsWith("__")) {
            bad = true;
            break;
          }
          extra += `,${k}="${escapeLabel(String(s.labels[k]))}"`;
        }
        if (bad) {
          onProblem?.({ family: f.name, reason: "invalid label name; sample skipped" });
          continue;
        }
        labels = base ? base + extra : extra.slice(1);
      }
      if (seenSeries.has(labels)) {
        onProblem?.({ family: f.name, reason: "duplicate series; the first one is kept" });
        continue;
      }
      seenSeries.add(labels);
      out.push(`${sampleName}{${labels}} ${formatValue(s.value)}`);
    }
  }
  if (format === "openmetrics") out.push("# EOF");
  return `${out.join("\n")}\n`;
}
