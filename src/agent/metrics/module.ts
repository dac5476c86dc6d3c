import { HttpError, sendBody, sendJson } from "../../http/respond.ts";
import type { Config } from "../config.ts";
import type { AgentContext, AgentInfo, AgentModule, Route } from "../module.ts";
import type { DeviceState } from "../state.ts";
import { collectFamilies, type FamilySources, monotonicBeats } from "./families.ts";
import { CONTENT_TYPES, negotiateFormat, renderMetrics } from "./render.ts";

type Series = { current: number; min: number; max: number; avg: number; count: number };

/**
 * GET /api/metrics/performance: the last hour of every sampled series (current, min, max, average),
 * each collector's last run, and the agent process's own memory, CPU, HTTP and history figures.
 */
export function performanceView(state: DeviceState, agent: AgentInfo) {
  const samples = agent.history.ring.since(Date.now() - 3_600_000);
  const series: Record<string, Series> = {};
  for (const s of samples) {
    for (const [k, v] of Object.entries(s.v)) {
      const cur = series[k];
      if (!cur) series[k] = { current: v, min: v, max: v, avg: v, count: 1 };
      else {
        cur.current = v;
        cur.min = Math.min(cur.min, v);
        cur.max = Math.max(cur.max, v);
        cur.avg += v;
        cur.count++;
      }
    }
  }
  for (const s of Object.values(series)) s.avg = Math.round((s.avg / s.count) * 1e4) / 1e4;
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    timestamp: new Date().toISOString(),
    window_seconds: 3600,
    samples: samples.length,
    series,
    collectors: Object.fromEntries(
      [...state.collectors].map(([n, r]) => [
        n,
        { ok: r.ok, duration_ms: r.durationMs, at: new Date(r.at).toISOString() },
      ]),
    ),
    agent: {
      rss_bytes: mem.rss,
      heap_used_bytes: mem.heapUsed,
      heap_total_bytes: mem.heapTotal,
      external_bytes: mem.external,
      array_buffers_bytes: mem.arrayBuffers,
      cpu_seconds: Math.round((cpu.user + cpu.system) / 1000) / 1000,
      uptime_seconds: Math.round((Date.now() - state.startedAt) / 1000),
      http: agent.http?.stats ?? null,
      history: {
        samples: agent.history.ring.size,
        flushes: agent.history.flushes,
        bytes_written: agent.history.bytesWritten,
      },
    },
  };
}

/**
 * GET /metrics (Prometheus or OpenMetrics text, `metrics.enabled`) and GET /api/metrics/performance.
 * Every fragment change is a look at the writers' heartbeats, so each is dated when it changed, not
 * when first scraped.
 */
export function metricsModule(config: Config): AgentModule {
  let ctx: AgentContext | null = null;
  let sources: FamilySources | null = null;
  let off: (() => void) | null = null;
  const baseLabels = { device: config.device.id, site: config.device.site };
  const problemsSeen = new Set<string>();
  const started = () => {
    if (!ctx?.agent || !sources) throw new Error("the metrics module was not started by the agent");
    return { ctx, agent: ctx.agent, sources };
  };

  const routes: Route[] = [
    {
      method: "GET",
      path: "/metrics",
      handle(req, res) {
        if (!config.metrics.enabled) throw new HttpError(404, "/metrics is turned off (config metrics.enabled: false)");
        const { ctx, sources } = started();
        const format = negotiateFormat(req.headers.accept);
        const text = renderMetrics(collectFamilies(sources), baseLabels, format, (p) => {
          const k = `${p.family}:${p.reason}`;
          if (problemsSeen.has(k) || problemsSeen.size > 100) return;
          problemsSeen.add(k);
          ctx.log.warn("metric family skipped", { family: p.family, reason: p.reason });
        });
        sendBody(res, 200, text, CONTENT_TYPES[format]);
      },
    },
    {
      method: "GET",
      path: "/api/metrics/performance",
      handle(_req, res) {
        const { ctx, agent } = started();
        sendJson(res, 200, performanceView(ctx.state, agent));
      },
    },
  ];

  return {
    name: "metrics",
    start(c) {
      ctx = c;
      const agent = c.agent;
      if (!agent) return;
      // One object for the module's life: the family sources, read live from the agent.
      sources = {
        config: c.config,
        state: c.state,
        reader: c.reader,
        log: c.log,
        get modules() {
          return agent.modules;
        },
        version: agent.version,
        get errors() {
          return agent.errors;
        },
        get warningsTotal() {
          return agent.warningsTotal;
        },
      };
      const s = sources;
      off = c.state.on("status", () => {
        monotonicBeats(s);
      });
    },
    stop() {
      off?.();
      off = null;
    },
    routes: () => routes,
  };
}
