import type { SourceFragment } from "../../protocol/merge.ts";
import { programFamilies } from "../../protocol/metrics.ts";
import type { MetricFamily } from "../module.ts";

/**
 * The metrics programs export through their fragments' `metrics` key (checked when the fragment was
 * read: a bad one never becomes the last good fragment). When two sources export the same name, the
 * fragment with the newest `updated_at` owns it, as in the merged document.
 */
export function programMetricFamilies(fragments: readonly SourceFragment[]): MetricFamily[] {
  const byName = new Map<string, { at: number; family: MetricFamily }>();
  for (const f of fragments) {
    if (f.data.metrics === undefined) continue;
    for (const p of programFamilies(f.data.metrics)) {
      const prev = byName.get(p.name);
      if (prev && prev.at > f.updatedAtMs) continue;
      byName.set(p.name, {
        at: f.updatedAtMs,
        family: {
          name: p.name,
          type: p.type,
          help: p.help || `Exported by ${f.source} through the status protocol`,
          samples: p.samples,
        },
      });
    }
  }
  return [...byName.values()].map((v) => v.family);
}
