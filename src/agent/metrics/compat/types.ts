import type { JsonObject } from "../../../protocol/json.ts";
import type { SourceFragment } from "../../../protocol/merge.ts";
import { type CollectorDataMap, type CollectorName, type DiskUsage, lastData } from "../../collectors/types.ts";
import type { Config } from "../../config.ts";
import type { MetricFamily } from "../../module.ts";
import type { DeviceState } from "../../state.ts";
import type { COMPAT_SETS } from "../config.ts";

/** What a compatibility name set computes its families from: the same state as edgewatch_*. */
export interface CompatInput {
  readonly config: Config;
  readonly state: DeviceState;
  /** Each source's last good fragment. */
  readonly fragments: readonly SourceFragment[];
  /** Error and critical events of the last hour. */
  readonly errorsCurrent: number;
  readonly now: number;
}

/** One set of names that existing dashboards and alert rules use: one file here, one line in ./index.ts. */
export interface CompatSet {
  readonly name: (typeof COMPAT_SETS)[number];
  families(i: CompatInput): MetricFamily[];
}

export const obj = (v: unknown): JsonObject =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as JsonObject) : {};

export const finite = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** Round to `digits` decimals, so a computed 25.519999999999996 is exposed as 25.52. */
export const round = (n: number, digits = 4): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** A one-sample gauge, or nothing when the value is unknown. */
export function one(name: string, help: string, value: number | null, labels?: Record<string, string>): MetricFamily[] {
  if (value === null) return [];
  return [{ name, help, type: "gauge", samples: [{ ...(labels ? { labels } : {}), value }] }];
}

/** A collector's last successful data, typed by its name ({} when it has not run, failed, or is disabled). */
export const collected = <K extends CollectorName>(i: CompatInput, collector: K): Partial<CollectorDataMap[K]> =>
  lastData(i.state, collector) ?? {};

/** The first configured mount's disk figures (the one the seeds' single disk series describe). */
export function firstDisk(i: CompatInput): Partial<DiskUsage> {
  return collected(i, "system").disks?.[0] ?? {};
}
