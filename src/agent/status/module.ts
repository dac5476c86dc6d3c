import { configOrigin } from "../../config/load.ts";
import { sendBody, sendJson } from "../../http/respond.ts";
import { lastData } from "../collectors/types.ts";
import type { Config } from "../config.ts";
import { redact } from "../core/index.ts";
import { logSources, recentLogs } from "../files/module.ts";
import { historyView } from "../history/module.ts";
import { performanceView } from "../metrics/module.ts";
import type { AgentContext, AgentInfo, AgentModule, Route } from "../module.ts";
import type { DeviceState } from "../state.ts";
import { StatusBody } from "./body.ts";
import { gaugeThresholds } from "./thresholds.ts";
import type { ConfigAnswer } from "./types.ts";

const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** GET /api/health/summary: one overall verdict and the headline figures. */
export function healthSummary(config: Config, state: DeviceState, agent: Pick<AgentInfo, "errors">) {
  const doc = state.document;
  const today = obj(doc.today);
  const sys = lastData(state, "system");
  const disk = sys?.disks[0];
  const firing = [...state.alerts.values()].filter((a) => a.state === "firing");
  const critical = firing.filter((a) => a.severity === "critical").length;
  const failedCollectors = [...state.collectors.values()].filter((r) => !r.ok).map((r) => r.collector);
  const overall =
    critical > 0 || state.status === "error"
      ? "critical"
      : firing.length > 0 || agent.errors.length > 0 || failedCollectors.length > 0
        ? "warning"
        : "healthy";
  return {
    timestamp: new Date().toISOString(),
    device_id: config.device.id,
    site: config.device.site,
    overall,
    status: state.status,
    quiet: state.quiet,
    photos: { captured: today.photos_captured ?? null, expected: today.expected_photos ?? null },
    last_capture: doc.last_capture ?? null,
    cpu_usage_ratio: sys?.cpu_usage_ratio ?? null,
    memory_usage_ratio: sys?.memory_usage_ratio ?? null,
    disk_usage_ratio: disk?.usage_ratio ?? null,
    disk_free_bytes: disk?.free_bytes ?? null,
    cpu_temperature_celsius: lastData(state, "thermal")?.cpu_temperature_celsius ?? null,
    alerts: { firing: firing.length, critical },
    errors_current: agent.errors.length,
    failed_collectors: failedCollectors,
  };
}

/** GET /api/camera/status: the camera collector's view beside what the writers reported. */
export function cameraStatus(state: DeviceState) {
  const doc = state.document;
  return {
    status: state.status,
    camera: state.collectors.get("camera")?.data ?? null,
    reported: doc.camera ?? null,
    last_capture: doc.last_capture ?? null,
    today: doc.today ?? null,
  };
}

/**
 * The device's status: GET /status (the document in the single-status-file format, serialized once
 * per change), GET /config (the effective config, secrets redacted, and the alert thresholds the
 * gauges use), GET /api/health/summary, GET /api/camera/status, and GET /api/dashboard (one call for a
 * dashboard: the summary, camera, alerts, performance, history and recent log lines). Reads only.
 */
export function statusModule(config: Config): AgentModule {
  let ctx: AgentContext | null = null;
  let body: StatusBody | null = null;
  let offs: (() => void)[] = [];
  const logs = logSources(config);
  const thresholds = gaugeThresholds(config);
  const started = (): { ctx: AgentContext; agent: AgentInfo; body: StatusBody } => {
    if (!ctx?.agent || !body) throw new Error("the status module was not started by the agent");
    return { ctx, agent: ctx.agent, body };
  };

  const routes: Route[] = [
    {
      method: "GET",
      path: "/status",
      handle(_req, res) {
        sendBody(res, 200, started().body.body(), "application/json; charset=utf-8");
      },
    },
    {
      method: "GET",
      path: "/config",
      handle(_req, res) {
        // the file the running values came from, and the keys that are not that file's (EDGEWATCH_DIR, demo)
        const origin = configOrigin(config, started().ctx.configPath);
        const answer: ConfigAnswer = {
          path: origin.path,
          overrides: origin.overrides,
          config: redact(config) as Record<string, unknown>,
          thresholds,
        };
        sendJson(res, 200, answer);
      },
    },
    {
      method: "GET",
      path: "/api/health/summary",
      handle(_req, res) {
        const { ctx, agent } = started();
        sendJson(res, 200, healthSummary(config, ctx.state, agent));
      },
    },
    {
      method: "GET",
      path: "/api/camera/status",
      handle(_req, res) {
        sendJson(res, 200, cameraStatus(started().ctx.state));
      },
    },
    {
      method: "GET",
      path: "/api/dashboard",
      async handle(_req, res) {
        const { ctx, agent } = started();
        const { state } = ctx;
        sendJson(res, 200, {
          summary: healthSummary(config, state, agent),
          camera: cameraStatus(state),
          alerts: [...state.alerts.values()],
          performance: performanceView(state, agent),
          history: historyView(agent.history, 24, 300),
          logs: logs.length ? await recentLogs(logs, "all", 20) : null,
        });
      },
    },
  ];

  return {
    name: "status",
    start(c) {
      ctx = c;
      if (!c.agent) return;
      const b = new StatusBody(c.state, config, c.agent.errors);
      body = b;
      const invalidate = () => b.invalidate();
      offs = [c.state.on("status", invalidate), c.state.on("sample", invalidate)];
    },
    stop() {
      for (const off of offs) off();
      offs = [];
    },
    routes: () => routes,
  };
}
