import { LEVELS } from "../../protocol/names.ts";
import type { AgentModule, MetricFamily } from "../module.ts";

/**
 * Counts the events writers send, by level: `edgewatch_events_total{level}`. Every level is there
 * from the start (at 0), so Prometheus' increase() sees the first critical event too — a series
 * that appeared at 1 would count as no increase. Which source sent what is in the agent's alerts.
 */
export function eventsMetricsModule(): AgentModule {
  const counts = new Map<string, number>(LEVELS.map((l) => [l, 0]));
  let off: (() => void) | null = null;
  return {
    name: "events-metrics",
    start(ctx) {
      off = ctx.state.on("event", (ev) => {
        counts.set(ev.level, (counts.get(ev.level) ?? 0) + 1);
      });
    },
    stop() {
      off?.();
      off = null;
    },
    metrics(): MetricFamily[] {
      return [
        {
          name: "edgewatch_events_total",
          help: "Events received from writers (maildir and legacy errors), by level",
          type: "counter",
          samples: [...counts].map(([level, value]) => ({ labels: { level }, value })),
        },
      ];
    },
  };
}
