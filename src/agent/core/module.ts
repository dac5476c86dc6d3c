import { sendJson } from "../../http/respond.ts";
import type { Config } from "../config.ts";
import type { AgentContext, AgentModule, Route } from "../module.ts";

/**
 * The agent process itself: GET /api/status (version, pid, uptime, the modules that run and the
 * ones that failed, HTTP counters), and its "core: serving" verdict in /health/deep.
 */
export function coreModule(_config: Config): AgentModule {
  let ctx: AgentContext | null = null;
  const routes: Route[] = [
    {
      method: "GET",
      path: "/api/status",
      handle(_req, res) {
        const agent = ctx?.agent;
        if (!ctx || !agent) throw new Error("the core module was not started by the agent");
        sendJson(res, 200, {
          status: "running",
          service: "edgewatch-agent",
          version: agent.version,
          pid: process.pid,
          started_at: new Date(ctx.state.startedAt).toISOString(),
          uptime_seconds: Math.round((Date.now() - ctx.state.startedAt) / 1000),
          modules: agent.modules.map((m) => m.name),
          module_failures: Object.fromEntries(agent.moduleFailures),
          http: agent.http?.stats ?? null,
          warnings: agent.warnings.length,
        });
      },
    },
  ];
  return {
    name: "core",
    start(c) {
      ctx = c;
    },
    routes: () => routes,
    health: () => ({ ok: true, detail: "serving" }),
  };
}
