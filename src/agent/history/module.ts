import { Query, sendJson } from "../../http/respond.ts";
import type { Config } from "../config.ts";
import type { AgentContext, AgentModule, Route } from "../module.ts";
import type { HistorySample, HistoryStore } from "./ring.ts";
import type { HistoryView } from "./types.ts";

export type { HistorySample, HistoryStore, HistoryView };

/** The samples of the last `hours` (the newest `limit` of them), timestamps as ISO strings. */
export function historyView(store: HistoryStore, hours: number, limit?: number): HistoryView {
  let samples: HistorySample[] = store.ring.since(Date.now() - hours * 3_600_000);
  if (limit !== undefined && samples.length > limit) samples = samples.slice(-limit);
  return {
    hours,
    count: samples.length,
    max_samples: store.ring.max,
    samples: samples.map((s) => ({ timestamp: new Date(s.t).toISOString(), ...s.v })),
  };
}

/**
 * GET /api/metrics/history: the sample history the agent keeps (src/agent/agent.ts samples every
 * collector's numbers into it and flushes it to `history.file`). Reading it never writes it.
 */
export function historyModule(_config: Config): AgentModule {
  let ctx: AgentContext | null = null;
  const routes: Route[] = [
    {
      method: "GET",
      path: "/api/metrics/history",
      handle(_req, res, url) {
        const store = ctx?.agent?.history;
        if (!store) throw new Error("the history module was not started by the agent");
        const q = new Query(url.searchParams);
        sendJson(res, 200, historyView(store, q.number("hours", { min: 0.01, max: 8760, default: 24 })));
      },
    },
  ];
  return {
    name: "history",
    start(c) {
      ctx = c;
    },
    routes: () => routes,
  };
}
