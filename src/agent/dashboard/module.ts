import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Asset, findWebDir, loadAssets, serveAsset } from "../../http/assets.ts";
import { DEFAULT_SSE, SseHub, type SseOptions } from "../../http/sse.ts";
import type { Config } from "../config.ts";
import type { AgentContext, AgentModule, HealthVerdict, MetricFamily, Route } from "../module.ts";
import type { DashboardSnapshot } from "./types.ts";

export interface DashboardOptions {
  /** Built dashboard directory (scripts/build-web.mjs output); found automatically when omitted. */
  webDir?: string | null;
  sse?: Partial<SseOptions>;
}

/**
 * The device dashboard: GET / and its hashed assets (loaded and compressed at build time, held in
 * memory, ETag + immutable caching, br/gzip negotiation), and GET /api/events, the Server-Sent Events
 * stream of status, sample, alert and event changes that keeps the page live.
 */
export class DashboardModule implements AgentModule {
  readonly name = "dashboard";
  readonly hub: SseHub;
  private readonly assets: Map<string, Asset>;
  private readonly missing: string | null = null;
  private ctx: AgentContext | null = null;
  private readonly unsubscribe: (() => void)[] = [];
  private pendingStatus = false;

  constructor(opts: DashboardOptions = {}) {
    this.hub = new SseHub({ ...DEFAULT_SSE, ...opts.sse });
    const dir = opts.webDir === undefined ? findWebDir() : opts.webDir;
    this.assets = new Map();
    if (!dir || !existsSync(join(dir, "index.html"))) {
      this.missing = `dashboard assets are not built${dir ? ` (no index.html in ${dir})` : ""}: run \`node scripts/build.mjs\` (or set EDGEWATCH_WEB_DIR)`;
    } else {
      try {
        this.assets = loadAssets(dir);
      } catch (err) {
        this.missing = `dashboard assets unusable: ${(err as Error).message}`;
      }
    }
  }

  start(ctx: AgentContext): void {
    this.ctx = ctx;
    if (this.missing) ctx.log.warn(this.missing);
    const { state } = ctx;
    this.unsubscribe.push(
      // Several fragment changes in one tick become one status frame carrying the newest document.
      state.on("status", () => {
        if (this.hub.size === 0 || this.pendingStatus) return;
        this.pendingStatus = true;
        setImmediate(() => {
          this.pendingStatus = false;
          this.hub.broadcast("status", state.document);
        });
      }),
      state.on("sample", (r) => this.hub.broadcast("sample", r)),
      state.on("alert", (a) => this.hub.broadcast("alert", a)),
      state.on("event", (ev) => this.hub.broadcast("device-event", ev)),
    );
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    this.hub.close();
  }

  routes(): Route[] {
    const routes: Route[] = [
      {
        method: "GET",
        path: "/api/events",
        handle: (req, res) => {
          if (req.method === "HEAD") {
            // A HEAD must not hold one of the stream slots open.
            res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache" });
            res.end();
            return;
          }
          this.hub.open(req, res, () => ({ event: "snapshot", data: this.snapshot() }));
        },
      },
    ];
    if (this.missing) {
      const message = this.missing;
      routes.push({
        method: "GET",
        path: "/",
        handle: (_req, res) => {
          const body = JSON.stringify({ error: message });
          res.writeHead(503, { "Content-Type": "application/json; charset=utf-8", "Retry-After": "60" });
          res.end(body);
        },
      });
    }
    for (const asset of this.assets.values()) {
      routes.push({ method: "GET", path: asset.path, handle: (req, res) => serveAsset(asset, req, res) });
    }
    return routes;
  }

  /** Everything the page needs to draw itself at once: the first frame of every stream. */
  snapshot(): DashboardSnapshot {
    const state = this.ctx?.state;
    const files = this.ctx?.config.files;
    return {
      document: state?.document ?? {},
      collectors: Object.fromEntries(state?.collectors ?? []),
      alerts: [...(state?.alerts.values() ?? [])],
      started_at: new Date(state?.startedAt ?? Date.now()).toISOString(),
      server_time: new Date().toISOString(),
      // What the page may ask for without hitting a 404 (configured photo globs and log files).
      features: {
        photos: (files?.photos.length ?? 0) > 0,
        logs: (files?.logs.length ?? 0) > 0,
        recovery: this.ctx?.config.recovery.enabled ?? false,
        // Which control buttons can work: a token is set, and each action is configured.
        control: {
          token: Boolean(this.ctx?.config.http.token),
          actions: {
            camera_test: Boolean(this.ctx?.config.recovery.camera_test),
            camera_recover: Boolean(this.ctx?.config.recovery.camera_recover),
            restart_services: (this.ctx?.config.recovery.restart_services.length ?? 0) > 0,
            reboot: true,
          },
        },
      },
    };
  }

  metrics(): MetricFamily[] {
    return [
      {
        name: "edgewatch_dashboard_streams",
        help: "Open /api/events (Server-Sent Events) streams",
        type: "gauge",
        samples: [{ value: this.hub.size }],
      },
      {
        name: "edgewatch_dashboard_streams_refused_total",
        help: "Streams refused because the client limit was reached",
        type: "counter",
        samples: [{ value: this.hub.refused }],
      },
      {
        name: "edgewatch_dashboard_streams_dropped_total",
        help: "Streams dropped because the client did not read fast enough",
        type: "counter",
        samples: [{ value: this.hub.dropped }],
      },
    ];
  }

  health(): HealthVerdict {
    return this.missing ? { ok: true, detail: this.missing } : { ok: true };
  }
}

export function dashboardModule(config: Config): AgentModule {
  // The HTTP layer closes a connection silent for http.idle_timeout: heartbeat well within it.
  const heartbeatMs = Math.max(1000, Math.min(DEFAULT_SSE.heartbeatMs, Math.floor(config.http.idle_timeout / 2)));
  return new DashboardModule({ sse: { heartbeatMs } });
}
