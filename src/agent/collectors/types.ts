import type { Config } from "../../config/schema.ts";
import type { JsonObject } from "../../protocol/json.ts";
import type { MetricFamily } from "../module.ts";
import type { DeviceState } from "../state.ts";
import type { CollectorDataMap, CollectorName } from "./data.ts";

export type * from "./data.ts";

/** What a collector run gets. */
export interface CollectContext {
  readonly config: Config;
  readonly state: DeviceState;
  /** Aborted when the run times out; long I/O should stop when it fires. */
  readonly signal: AbortSignal;
  /** Wall clock in ms (injectable for tests). */
  now(): number;
  /** procfs and sysfs roots (config collectors.proc_root / sys_root). */
  readonly procRoot: string;
  readonly sysRoot: string;
}

/**
 * One collector: a file in this folder, registered in ./index.ts. `collect` returns plain JSON data;
 * a field that is `null` means "no data" (missing hardware), a thrown error means the run failed.
 */
export interface Collector<D extends JsonObject = JsonObject> {
  readonly name: string;
  /** Keeps running in quiet mode (device status creating_video); others pause. */
  readonly essential: boolean;
  readonly intervalMs: number;
  /**
   * Also run soon after each status-document change (at most once a second), for collectors that only
   * read in-memory state (camera, schedule): their series follow a writer within a second, not an interval.
   */
  readonly reactive?: boolean;
  collect(ctx: CollectContext): Promise<D>;
  /** Optional: subscribe to device state (status/event topics) at start; returns the unsubscribe. */
  attach?(ctx: Omit<CollectContext, "signal">): () => void;
  /** Optional: Prometheus families from this collector's last successful data. */
  metrics?(data: D): MetricFamily[];
}

/** Builds a collector from the config, or null when the config leaves it disabled. */
export type CollectorFactory<D extends JsonObject = JsonObject> = (config: Config) => Collector<D> | null;

/** A gauge family with one sample, or none when the value is not a finite number. */
export function gauge(name: string, help: string, value: unknown, unit?: string): MetricFamily[] {
  if (typeof value !== "number" || !Number.isFinite(value)) return [];
  return [{ name, help, type: "gauge", ...(unit ? { unit } : {}), samples: [{ value }] }];
}

/** 1/0 for booleans, the number for numbers, undefined otherwise. */
export function num(v: unknown): number | undefined {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number" && Number.isFinite(v)) return v;
  return undefined;
}

/**
 * A collector's data from its last successful run, typed by the collector's name (the shapes are in
 * ./data.ts); null when it has not run yet, its last run failed, or it is turned off.
 */
export function lastData<K extends CollectorName>(
  state: Pick<DeviceState, "collectors">,
  name: K,
): CollectorDataMap[K] | null {
  const r = state.collectors.get(name);
  // The runner stores what the collector's collect() returned, and collect() is typed by the same map.
  return r?.ok ? (r.data as CollectorDataMap[K]) : null;
}
