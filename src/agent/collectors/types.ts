import type { JsonObject } from "../../protocol/json.ts";
import type { Config } from "../config.ts";
import type { MetricFamily } from "../module.ts";
import type { DeviceState } from "../state.ts";

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
export interface Collector {
  readonly name: string;
  /** Keeps running in quiet mode (device status creating_video); others pause. */
  readonly essential: boolean;
  readonly intervalMs: number;
  /**
   * Also run soon after each status-document change (at most once a second), for collectors that only
   * read in-memory state (camera, schedule): their series follow a writer within a second, not an interval.
   */
  readonly reactive?: boolean;
  collect(ctx: CollectContext): Promise<JsonObject>;
  /** Optional: subscribe to device state (status/event topics) at start; returns the unsubscribe. */
  attach?(ctx: Omit<CollectContext, "signal">): () => void;
  /** Optional: Prometheus families from this collector's last successful data. */
  metrics?(data: JsonObject): MetricFamily[];
}

/** Builds a collector from the config, or null when the config leaves it disabled. */
export type CollectorFactory = (config: Config) => Collector | null;

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
