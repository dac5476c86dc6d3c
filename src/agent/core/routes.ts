import { promises as fsp } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { basename } from "node:path";
import { performance as perf } from "node:perf_hooks";
import { configOrigin } from "../../config/load.ts";
import { HttpError, Query, sendBody, sendJson } from "../../http/respond.ts";
import type { JsonObject } from "../../protocol/json.ts";
import { layout } from "../../protocol/paths.ts";
import { Glob, newestOf } from "../files/glob.ts";
import { atLeast, LOG_LEVELS, type LogFormat, type LogLevel, tailFile } from "../files/logs.ts";
import { serveFile } from "../files/serve.ts";
import type { HistorySample } from "../history/ring.ts";
import { collectFamilies, monotonicBeats } from "../metrics/families.ts";
import { CONTENT_TYPES, negotiateFormat, renderMetrics } from "../metrics/render.ts";
import type { AgentModule, HealthVerdict, Route } from "../module.ts";
import { StatusBody } from "./document.ts";
import { redact } from "./redact.ts";
import type { AgentRuntime } from "./runtime.ts";
import { gaugeThresholds } from "./thresholds.ts";

const obj = (v: unknown): JsonObject =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as JsonObject) : {};

const monoNow = () => perf.now();

/** A collector result older than this (outside quiet mode) means the collector is stuck. */
export const COLLECTOR_STALE_MS = 10 * 60_000;
const CAMERA_RE = /camera|capture|libcamera|picamera|raspistill|rpicam|v4l2|frame|cam\d/i;

interface LogSource {
  name: string;
  path: string;
  format: LogFormat;
}

/**
 * The agent core as a module: /health, /health/deep, /status, /metrics, files and logs, /config,
 * and the dashboard's /api/* reads. Everything that can be prepared once (globs, labels, the /status
 * body between changes) is prepared at start.
 */
export function coreModule(rt: AgentRuntime): AgentModule {
  const { config, state } = rt;
  const statusBody = new StatusBody(rt);
  const photoGlobs = config.files.photos.map((g) => new Glob(g));
  const videoGlobs = config.files.videos.map((g) => new Glob(g));
  const logs: LogSource[] = config.files.logs.map((l) => ({
    name: l.name ?? basename(l.path),
    path: l.path,
    format: l.format,
  }));
  const logNames = logs.map((l) => l.name);
  const thresholds = gaugeThresholds(config);
  const baseLabels = { device: config.device.id, site: config.device.site };
  const problemsSeen = new Set<string>();
  const invalidate = () => statusBody.invalidate();
  /** When each collector last reported, on the monotonic clock. */
  const sampledAt = new Map<string, number>();

  const json =
    (handler: (url: URL, req: IncomingMessage) => unknown | Promise<unknown>) =>
    async (req: IncomingMessage, res: ServerResponse, url: URL) => {
      const value = await handler(url, req);
      sendJson(res, 200, value);
    };

  const agentUptime = () => Math.round((Date.now() - state.startedAt) / 1000);

  function collectorsView(): JsonObject {
    const out: JsonObject = {};
    for (const [name, r] of state.collectors) {
      out[name] = {
        ok: r.ok,
        at: new Date(r.at).toISOString(),
        duration_ms: r.durationMs,
        ...(r.error ? { error: r.error } : {}),
        data: r.data,
      };
    }
    return out;
  }

  function firingAlerts() {
    return [...state.alerts.values()].filter((a) => a.state === "firing");
  }

  function deepHealth(): { ok: boolean; checks: Record<string, HealthVerdict>; failing: string[] } {
    const checks: Record<string, HealthVerdict> = {};
    checks.reader = rt.readerFailure ? { ok: false, detail: rt.readerFailure } : { ok: true, detail: "watching" };
    const now = Date.now();
    const mono = monoNow();
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
    for (const [name, reason] of rt.moduleFailures) checks[name] = { ok: false, detail: `failed to start: ${reason}` };
    for (const m of rt.modules) {
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

  function summary(): JsonObject {
    const doc = state.document;
    const today = obj(doc.today);
    const sys = obj(state.collectors.get("system")?.data);
    const disk = obj((Array.isArray(sys.disks) ? sys.disks : [])[0]);
    const firing = firingAlerts();
    const critical = firing.filter((a) => a.severity === "critical").length;
    const failedCollectors = [...state.collectors.values()].filter((r) => !r.ok).map((r) => r.collector);
    const overall =
      critical > 0 || state.status === "error"
        ? "critical"
        : firing.length > 0 || rt.errors.length > 0 || failedCollectors.length > 0
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
      cpu_usage_ratio: sys.cpu_usage_ratio ?? null,
      memory_usage_ratio: sys.memory_usage_ratio ?? null,
      disk_usage_ratio: disk.usage_ratio ?? null,
      disk_free_bytes: disk.free_bytes ?? null,
      cpu_temperature_celsius: obj(state.collectors.get("thermal")?.data).cpu_temperature_celsius ?? null,
      alerts: { firing: firing.length, critical },
      errors_current: rt.errors.length,
      failed_collectors: failedCollectors,
    };
  }

  function cameraStatus(): JsonObject {
    const doc = state.document;
    return {
      status: state.status,
      camera: state.collectors.get("camera")?.data ?? null,
      reported: doc.camera ?? null,
      last_capture: doc.last_capture ?? null,
      today: doc.today ?? null,
    };
  }

  function performance(): JsonObject {
    const hourAgo = Date.now() - 3_600_000;
    const samples = rt.history.ring.since(hourAgo);
    const series: Record<string, { current: number; min: number; max: number; avg: number; count: number }> = {};
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
        uptime_seconds: agentUptime(),
        http: rt.http?.stats ?? null,
        history: { samples: rt.history.ring.size, flushes: rt.history.flushes, bytes_written: rt.history.bytesWritten },
      },
    };
  }

  function historyView(hours: number, limit?: number): JsonObject {
    let samples: HistorySample[] = rt.history.ring.since(Date.now() - hours * 3_600_000);
    if (limit !== undefined && samples.length > limit) samples = samples.slice(-limit);
    return {
      hours,
      count: samples.length,
      max_samples: rt.history.ring.max,
      samples: samples.map((s) => ({ timestamp: new Date(s.t).toISOString(), ...s.v })),
    };
  }

  async function readLogs(
    sources: LogSource[],
    lines: number,
    filter?: (text: string, level: LogLevel | null) => boolean,
  ): Promise<JsonObject[]> {
    return Promise.all(
      sources.map(async (l) => {
        try {
          const r = await tailFile(l.path, { lines, format: l.format, ...(filter ? { filter } : {}) });
          return {
            name: l.name,
            path: l.path,
            size: r.size,
            partial: r.partial,
            lines: r.lines.map((x) => ({ level: x.level, text: x.text, ...(x.truncated ? { truncated: true } : {}) })),
          };
        } catch (err) {
          return {
            name: l.name,
            path: l.path,
            error: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
            lines: [],
          };
        }
      }),
    );
  }

  async function recentLogs(type: "errors" | "camera" | "all", limit: number): Promise<JsonObject> {
    const filter =
      type === "errors"
        ? (_t: string, l: LogLevel | null) => atLeast(l, "error")
        : type === "camera"
          ? (t: string) => CAMERA_RE.test(t)
          : undefined;
    const files = await readLogs(logs, limit, filter);
    const entries: JsonObject[] = [];
    for (const f of files) for (const line of f.lines as JsonObject[]) entries.push({ file: f.name, ...line });
    return {
      type,
      limit,
      count: Math.min(entries.length, limit),
      entries: entries.slice(-limit),
      ...(files.some((f) => f.error)
        ? { errors: files.filter((f) => f.error).map((f) => ({ file: f.name, error: f.error })) }
        : {}),
    };
  }

  async function latest(req: IncomingMessage, res: ServerResponse, globs: Glob[], what: "photo" | "video") {
    const key = what === "photo" ? "photos" : "videos";
    if (globs.length === 0)
      throw new HttpError(
        404,
        `no ${what} location configured: set files.${key} to globs like /home/pi/${key}/*.${what === "photo" ? "jpg" : "mp4"}`,
      );
    const found = await newestOf(globs, config.files.max_scan_entries);
    if (!found)
      throw new HttpError(404, `no ${what} found matching files.${key}: ${globs.map((g) => g.pattern).join(", ")}`);
    await serveFile(req, res, found.path);
  }

  const routes: Route[] = [
    {
      method: "GET",
      path: "/health",
      handle: json(() => ({ status: "ok", uptime_seconds: agentUptime() })),
    },
    {
      method: "GET",
      path: "/health/deep",
      async handle(_req, res) {
        const h = deepHealth();
        if (!rt.readerFailure) {
          let problem: string | null = null;
          try {
            const st = await fsp.stat(layout(config.status_dir).fragments);
            if (rt.statusDirIno !== null && st.ino !== rt.statusDirIno) {
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
          uptime_seconds: agentUptime(),
          checks: h.checks,
        });
      },
    },
    {
      method: "GET",
      path: "/status",
      handle(_req, res) {
        sendBody(res, 200, statusBody.body(), "application/json; charset=utf-8");
      },
    },
    {
      method: "GET",
      path: "/metrics",
      handle(req, res) {
        if (!config.metrics.enabled) throw new HttpError(404, "/metrics is turned off (config metrics.enabled: false)");
        const format = negotiateFormat(req.headers.accept);
        const families = collectFamilies(rt);
        const text = renderMetrics(families, baseLabels, format, (p) => {
          const k = `${p.family}:${p.reason}`;
          if (problemsSeen.has(k) || problemsSeen.size > 100) return;
          problemsSeen.add(k);
          rt.log.warn("metric family skipped", { family: p.family, reason: p.reason });
        });
        sendBody(res, 200, text, CONTENT_TYPES[format]);
      },
    },
    { method: "GET", path: "/latest/photo", handle: (req, res) => latest(req, res, photoGlobs, "photo") },
    { method: "GET", path: "/latest/video", handle: (req, res) => latest(req, res, videoGlobs, "video") },
    {
      method: "GET",
      path: "/logs",
      handle: json(async (url) => {
        const q = new Query(url.searchParams);
        const lines = q.int("lines", { min: 1, max: 10_000, default: 50 });
        const level = url.searchParams.has("level") ? q.oneOf("level", LOG_LEVELS, "debug") : null;
        const file = logNames.length ? q.oneOf("file", logNames, logNames[0] as string) : null;
        if (logs.length === 0)
          throw new HttpError(404, "no log files configured: set files.logs to a list of {path: /var/log/...}");
        const chosen = url.searchParams.has("file") ? logs.filter((l) => l.name === file) : logs;
        const files = await readLogs(chosen, lines, level ? (_t, l) => atLeast(l, level) : undefined);
        return { lines, level, files };
      }),
    },
    {
      method: "GET",
      path: "/api/logs/recent",
      handle: json(async (url) => {
        const q = new Query(url.searchParams);
        const type = q.oneOf("type", ["errors", "camera", "all"] as const, "all");
        const limit = q.int("limit", { min: 1, max: 1000, default: 50 });
        if (logs.length === 0)
          throw new HttpError(404, "no log files configured: set files.logs to a list of {path: /var/log/...}");
        return recentLogs(type, limit);
      }),
    },
    {
      method: "GET",
      path: "/config",
      handle: json(() => {
        // the file the running values came from, and the keys that are not that file's (EDGEWATCH_DIR, demo)
        const origin = configOrigin(config, rt.configPath);
        return { path: origin.path, overrides: origin.overrides, config: redact(config), thresholds };
      }),
    },
    {
      method: "GET",
      path: "/api/health",
      handle: json(() => {
        const h = deepHealth();
        return {
          timestamp: new Date().toISOString(),
          device_id: config.device.id,
          site: config.device.site,
          status: state.status,
          quiet: state.quiet,
          healthy: h.ok,
          checks: h.checks,
          uptime_seconds: agentUptime(),
          collectors: collectorsView(),
          alerts: [...state.alerts.values()],
          errors: rt.errors,
          warnings: rt.warnings,
        };
      }),
    },
    { method: "GET", path: "/api/health/summary", handle: json(summary) },
    { method: "GET", path: "/api/camera/status", handle: json(cameraStatus) },
    { method: "GET", path: "/api/metrics/performance", handle: json(performance) },
    {
      method: "GET",
      path: "/api/metrics/history",
      handle: json((url) => {
        const q = new Query(url.searchParams);
        return historyView(q.number("hours", { min: 0.01, max: 8760, default: 24 }));
      }),
    },
    {
      method: "GET",
      path: "/api/dashboard",
      handle: json(async () => ({
        summary: summary(),
        camera: cameraStatus(),
        alerts: [...state.alerts.values()],
        performance: performance(),
        history: historyView(24, 300),
        logs: logs.length ? await recentLogs("all", 20) : null,
      })),
    },
    {
      method: "GET",
      path: "/api/status",
      handle: json(() => ({
        status: "running",
        service: "edgewatch-agent",
        version: rt.version,
        pid: process.pid,
        started_at: new Date(state.startedAt).toISOString(),
        uptime_seconds: agentUptime(),
        modules: rt.modules.map((m) => m.name),
        module_failures: Object.fromEntries(rt.moduleFailures),
        http: rt.http?.stats ?? null,
        warnings: rt.warnings.length,
      })),
    },
  ];

  let offs: (() => void)[] = [];
  return {
    name: "core",
    start() {
      offs = [
        state.on("status", invalidate),
        state.on("sample", invalidate),
        state.on("sample", (r) => {
          sampledAt.set(r.collector, monoNow());
        }),
        // every fragment change is a look at the heartbeats: each is dated when it changed, not when scraped
        state.on("status", () => {
          monotonicBeats(rt);
        }),
      ];
    },
    stop() {
      for (const off of offs) off();
      offs = [];
    },
    routes: () => routes,
    health: () => ({ ok: true, detail: "serving" }),
  };
}
