import { promises as fsp } from "node:fs";
import { performance as perf } from "node:perf_hooks";
import { sendJson } from "../../http/respond.ts";
import { layout } from "../../protocol/paths.ts";
import type { Config } from "../config.ts";
import type { AgentContext, AgentInfo, AgentModule, HealthVerdict, Route } from "../module.ts";
import type { HealthAnswer } from "./types.ts";

/** A collector result older than this (outside quiet mode) means the collector is stuck. */
export const COLLECTOR_STALE_MS = 10 * 60_000;

export interface DeepHealth {
  ok: boolean;
  checks: Record<string, HealthVerdict>;
  failing: string[];
}

/**
 * Is the agent alive: GET /health (the process answers), GET /health/deep (200 or 503: the status
 * reader, fresh collector results, every module's own verdict) and GET /api/health (everything at
 * once: checks, collectors, alerts, recent errors and reader warnings).
 */
export function healthModule(config: Config): AgentModule {
  let ctx: AgentContext | null = null;
  let off: (() => void) | null = null;
  /** When each collector last reported, on the monotonic clock. */
  const sampledAt = new Map<string, number>();
  const started = (): { ctx: AgentContext; agent: AgentInfo } => {
    if (!ctx?.agent) throw new Error("the health module was not started by the agent");
    return { ctx, agent: ctx.agent };
  };
  const uptime = (c: AgentContext) => Math.round((Date.now() - c.state.startedAt) / 1000);

  function deepHealth(): DeepHealth {
    const { ctx, agent } = started();
    const { state } = ctx;
    const checks: Record<string, HealthVerdict> = {};
    checks.reader = agent.readerFailure ? { ok: false, detail: agent.readerFailure } : { ok: true, detail: "watching" };
    const now = Date.now();
    const mono = perf.now();
    // ages on the monotonic clock: a wall clock stepped forward (NTP) does not make every collector look stuck
    const stale = [...state.collectors.values()]
      .filter((r) => {
        const seen = sampledAt.get(r.collector);
        return (seen === undefined ? now - r.at : mono - seen) > COLLECTOR_STALE_MS;
      })
      .map((r) => r.collector);
    checks.collectors_fresh =
      stale.length === 0
        ? {
            ok: true,
            detail: `${state.collectors.size} collector(s) reported within ${COLLECTOR_STALE_MS / 60000} min`,
          }
        : state.quiet
          ? { ok: true, detail: `paused in quiet mode: ${stale.join(", ")}` }
          : { ok: false, detail: `no result for over ${COLLECTOR_STALE_MS / 60000} min from: ${stale.join(", ")}` };
    for (const [name, reason] of agent.moduleFailures)
      checks[name] = { ok: false, detail: `failed to start: ${reason}` };
    for (const m of agent.modules) {
      if (!m.health || checks[m.name]) continue;
      try {
        checks[m.name] = m.health();
      } catch (err) {
        checks[m.name] = { ok: false, detail: `health check threw: ${(err as Error).message}` };
      }
    }
    const failing = Object.entries(checks)
      .filter(([, v]) => !v.ok)
      .map(([k]) => k);
    return { ok: failing.length === 0, checks, failing };
  }

  const routes: Route[] = [
    {
      method: "GET",
      path: "/health",
      handle(_req, res) {
        sendJson(res, 200, { status: "ok", uptime_seconds: uptime(started().ctx) });
      },
    },
    {
      method: "GET",
      path: "/health/deep",
      async handle(_req, res) {
        const { ctx, agent } = started();
        const h = deepHealth();
        if (!agent.readerFailure) {
          let problem: string | null = null;
          try {
            const st = await fsp.stat(layout(config.status_dir).fragments);
            if (agent.statusDirIno !== null && st.ino !== agent.statusDirIno) {
              problem = "status dir was replaced since the agent started watching it; restart the agent";
            }
          } catch (err) {
            problem = `status dir unusable: ${(err as NodeJS.ErrnoException).code}`;
          }
          if (problem) {
            h.checks.reader = { ok: false, detail: problem };
            h.failing.unshift("reader");
            h.ok = false;
          }
        }
        sendJson(res, h.ok ? 200 : 503, {
          status: h.ok ? "ok" : "failing",
          ...(h.ok ? {} : { error: `not alive: ${h.failing.join(", ")}`, failing: h.failing }),
          uptime_seconds: uptime(ctx),
          checks: h.checks,
        });
      },
    },
    {
      method: "GET",
      path: "/api/health",
      handle(_req, res) {
        const { ctx, agent } = started();
        const { state } = ctx;
        const h = deepHealth();
        const collectors: HealthAnswer["collectors"] = {};
        for (const [name, r] of state.collectors) {
          collectors[name] = {
            ok: r.ok,
            at: new Date(r.at).toISOString(),
            duration_ms: r.durationMs,
            ...(r.error ? { error: r.error } : {}),
            data: r.data,
          };
        }
        const answer: HealthAnswer = {
          timestamp: new Date().toISOString(),
          device_id: config.device.id,
          site: config.device.site,
          status: state.status,
          quiet: state.quiet,
          healthy: h.ok,
          checks: h.checks,
          uptime_seconds: uptime(ctx),
          collectors,
          alerts: [...state.alerts.values()],
          errors: agent.errors,
          warnings: agent.warnings,
        };
        sendJson(res, 200, answer);
      },
    },
  ];

  return {
    name: "health",
    start(c) {
      ctx = c;
      off = c.state.on("sample", (r) => {
        sampledAt.set(r.collector, perf.now());
      });
    },
    stop() {
      off?.();
      off = null;
    },
    routes: () => routes,
  };
}
