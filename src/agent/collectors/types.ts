import { z } from "zod";
import { parseDuration } from "../../config/kit.ts";
import type { JobsConfig } from "../../jobs/config.ts";
import type { MetricFamily } from "../../lib/metrics.ts";
import type { JsonObject } from "../../protocol/json.ts";
import type { DeviceState } from "../state.ts";
import type { CollectorDataMap, CollectorName } from "./data.ts";

export type * from "./data.ts";

/** What a collector sees of the agent's config besides its own section (the agent's Config has it). */
export interface CollectorHost {
  readonly collectors: { readonly timeout: number; readonly proc_root: string; readonly sys_root: string };
  readonly jobs: JobsConfig;
}

/** What a collector run gets. */
export interface CollectContext {
  readonly config: CollectorHost;
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

/**
 * A collector's own config section: `collectors.<key>`, described by the schema `schema()` builds (a
 * builder, so that the schema is built to validate and then let go, not kept for the life of the agent).
 */
export interface CollectorSection<K extends string = string, S extends z.ZodType = z.ZodType> {
  readonly key: K;
  readonly schema: () => S;
}

/**
 * Builds a collector from the config, or null when the config leaves it disabled. `section` is the
 * collector's own config (composed into `collectors:` by ./config.ts); a collector configured
 * elsewhere (the queue collectors read `jobs.queues`) has none.
 */
export type CollectorFactory<
  Sec extends CollectorSection | undefined = CollectorSection | undefined,
  D extends JsonObject = JsonObject,
> = ((config: CollectorHost) => Collector<D> | null) & { readonly section?: Sec };

/** A collector with its own section: `create` gets that section, parsed, and the rest of the config. */
export function defineCollector<K extends string, S extends z.ZodType, D extends JsonObject = JsonObject>(
  key: K,
  schema: () => S,
  create: (own: z.output<S>, config: CollectorHost) => Collector<D> | null,
): CollectorFactory<CollectorSection<K, S>, D> {
  const factory = (config: CollectorHost) =>
    create((config.collectors as unknown as Record<string, z.output<S>>)[key] as z.output<S>, config);
  return Object.assign(factory, { section: { key, schema } });
}

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

// The schema kit of collector sections.

/** duration() with a lower bound; the message quotes what the user wrote ("500ms"), not milliseconds. */
export const durationAtLeast = (minMs: number, what: string) =>
  z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
    const ms = typeof v === "number" ? v * 1000 : parseDuration(v);
    if (ms === null) {
      ctx.addIssue({
        code: "custom",
        message: `expected a duration like "30s", "5m" or "1h30m", got ${JSON.stringify(v)}`,
      });
      return z.NEVER;
    }
    if (ms < minMs) {
      ctx.addIssue({
        code: "custom",
        message: `expected ${what} of at least ${minMs / 1000}s, got ${JSON.stringify(v)}`,
      });
      return z.NEVER;
    }
    return ms;
  });

/** `interval`: how often the collector runs (at least 1 s). */
export const interval = (dflt: string, what: string) =>
  durationAtLeast(1000, "an interval").prefault(dflt).describe(`How often the ${what} collector runs`);

/** `enabled`: run the collector (on by default). */
export const enabled = (what: string) => z.boolean().default(true).describe(`Run the ${what} collector`);

/** `essential`: keep running in quiet mode. */
export const essential = (dflt: boolean) =>
  z
    .boolean()
    .default(dflt)
    .describe("Keep running in quiet mode (while the device is creating_video); other collectors pause");

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
