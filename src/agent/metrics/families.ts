import { BeatAges, systemClock } from "../../lib/clock.ts";
import type { AgentContext, AgentInfo, MetricFamily } from "../module.ts";
import { COMPAT } from "./compat/index.ts";
import { coreFamilies, documentFamilies } from "./core.ts";
import { programMetricFamilies } from "./program.ts";

export type FamilySources = Pick<AgentContext, "config" | "state" | "reader" | "log"> &
  Pick<AgentInfo, "modules" | "version" | "errors" | "warningsTotal">;

// Heartbeat ages on the monotonic clock, as the rules see them: a stepped wall clock does not age a source.
// One per status reader, whoever asks (/metrics, the exports).
const beatAges = new WeakMap<object, BeatAges>();
/**
 * The heartbeats as wall-clock times whose age is monotonic. Each call is also a look: call it on every
 * fragment change (the metrics module does) so a beat is dated when it changed, not when first scraped.
 */
export function monotonicBeats(rt: FamilySources): Map<string, number> {
  let ages = beatAges.get(rt.reader);
  if (!ages) {
    ages = new BeatAges(systemClock);
    beatAges.set(rt.reader, ages);
  }
  return ages.translate(rt.reader.heartbeats());
}

/** A counter and a gauge of the same name collide in the exposition; compare by the name without `_total`. */
const stem = (f: MetricFamily) => (f.type === "counter" && f.name.endsWith("_total") ? f.name.slice(0, -6) : f.name);

/**
 * Every metric family the agent exposes, in /metrics order: its own (core, modules, document), the
 * compatibility sets `metrics.compat` enables, and the programs' own metrics. A program's metric
 * with a compatibility name replaces the computed one. /metrics and the exports read this one list.
 */
export function collectFamilies(rt: FamilySources, now = Date.now()): MetricFamily[] {
  const { config, state } = rt;
  const fromModules: MetricFamily[] = [];
  for (const m of rt.modules) {
    if (!m.metrics) continue;
    try {
      fromModules.push(...m.metrics());
    } catch (err) {
      rt.log.warn("module metrics failed", { module: m.name, error: (err as Error).message });
    }
  }
  const moduleNames = new Set(fromModules.map((f) => f.name));
  const fragments = rt.reader.fragmentList();
  const program = programMetricFamilies(fragments);
  const programStems = new Set(program.map(stem));
  const compat: MetricFamily[] = [];
  for (const set of COMPAT) {
    if (!config.metrics.compat.includes(set.name)) continue;
    try {
      compat.push(...set.families({ config, state, fragments, errorsCurrent: rt.errors.length, now }));
    } catch (err) {
      rt.log.warn("compat metrics failed", { set: set.name, error: (err as Error).message });
    }
  }
  return [
    ...coreFamilies({
      document: state.document,
      heartbeats: monotonicBeats(rt),
      errorsCurrent: rt.errors.length,
      quiet: state.quiet,
      readerWarnings: rt.warningsTotal,
      version: rt.version,
      nodeVersion: process.version,
      now,
    }),
    ...fromModules,
    ...documentFamilies(state.document).filter((f) => !moduleNames.has(f.name)),
    ...compat.filter((f) => !programStems.has(stem(f))),
    ...program,
  ];
}
