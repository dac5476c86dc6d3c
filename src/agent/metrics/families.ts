import type { AgentRuntime } from "../core/runtime.ts";
import type { MetricFamily } from "../module.ts";
import { coreFamilies, documentFamilies } from "./core.ts";

export type FamilySources = Pick<
  AgentRuntime,
  "config" | "state" | "reader" | "modules" | "log" | "version" | "errors" | "warningsTotal"
>;

/**
 * Every metric family the agent exposes, in /metrics order: its own (core, modules, document).
 * /metrics and the exports read this one list.
 */
export function collectFamilies(rt: FamilySources, now = Date.now()): MetricFamily[] {
  const { state } = rt;
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
  return [
    ...coreFamilies({
      document: state.document,
      heartbeats: rt.reader.heartbeats(),
      errorsCurrent: rt.errors.length,
      quiet: state.quiet,
      readerWarnings: rt.warningsTotal,
      version: rt.version,
      nodeVersion: process.version,
      now,
    }),
    ...fromModules,
    ...documentFamilies(state.document).filter((f) => !moduleNames.has(f.name)),
  ];
}
