import type { IncomingMessage } from "node:http";
import { authorizeRead } from "./api.ts";
import type { HubContext } from "./context.ts";
import { HttpError, type Route, sendBody, sendJson } from "./shared.ts";

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

/** Where Prometheus reaches the hub: the Host it used (behind a proxy, X-Forwarded-Host). */
function hostOf(req: IncomingMessage): string {
  const h = (req.headers["x-forwarded-host"] as string | undefined) ?? req.headers.host ?? "localhost";
  return h.split(",")[0]?.trim() ?? h;
}

/**
 * Prometheus for devices behind NAT: GET /sd (http_sd, one target per device, scraped through the hub),
 * GET /devices/<id>/metrics (its last pushed exposition; 503 once it is down, so `up` is 0), and the
 * hub's own GET /metrics.
 */
export function sdRoutes(k: HubContext): Route[] {
  return [
    {
      method: "GET",
      path: "/sd",
      handle(req, res) {
        authorizeRead(k, req);
        const host = hostOf(req);
        const list = [...k.liveness.devices.values()].map(({ row }) => ({
          targets: [host],
          labels: {
            device: row.id,
            site: row.site,
            __metrics_path__: `/devices/${encodeURIComponent(row.id)}/metrics`,
          },
        }));
        sendJson(res, 200, list);
      },
    },
    {
      method: "GET",
      path: "/devices/",
      prefix: true,
      handle(req, res, url) {
        authorizeRead(k, req);
        const m = /^\/devices\/([^/]+)\/metrics$/.exec(url.pathname);
        if (!m) throw new HttpError(404, `no such path: ${url.pathname.slice(0, 200)}; expected /devices/<id>/metrics`);
        const id = decodeURIComponent(m[1] as string);
        const live = k.liveness.devices.get(id);
        if (!live) throw new HttpError(404, `no device ${JSON.stringify(id)} is enrolled`);
        if (live.row.state === "down")
          throw new HttpError(
            503,
            `device ${id} is down (no push since ${new Date(live.row.last_seen ?? 0).toISOString()})`,
          );
        if (!live.row.exposition) throw new HttpError(503, `device ${id} has not pushed metrics yet`);
        sendBody(res, 200, live.row.exposition, "text/plain; version=0.0.4; charset=utf-8");
      },
    },
    {
      method: "GET",
      path: "/metrics",
      handle(req, res) {
        authorizeRead(k, req);
        sendBody(res, 200, hubMetrics(k), "text/plain; version=0.0.4; charset=utf-8");
      },
    },
  ];
}

export function hubMetrics(k: HubContext): string {
  const out: string[] = [];
  const fam = (name: string, type: string, help: string, lines: string[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
  };
  const devs = [...k.liveness.devices.values()].map((l) => l.row);
  const lbl = (d: { id: string; site: string }) => `device="${esc(d.id)}",site="${esc(d.site)}"`;
  fam(
    "edgewatch_device_up",
    "gauge",
    "1 while the device pushes (up or late), 0 once it is down",
    devs.filter((d) => d.state !== "new").map((d) => `edgewatch_device_up{${lbl(d)}} ${d.state === "down" ? 0 : 1}`),
  );
  fam(
    "edgewatch_device_late",
    "gauge",
    "1 while the device is late (no push for 2 x its interval)",
    devs.filter((d) => d.state !== "new").map((d) => `edgewatch_device_late{${lbl(d)}} ${d.state === "late" ? 1 : 0}`),
  );
  fam(
    "edgewatch_device_last_seen_timestamp_seconds",
    "gauge",
    "Hub receive time of the device's last push",
    devs
      .filter((d) => d.last_seen !== null)
      .map((d) => `edgewatch_device_last_seen_timestamp_seconds{${lbl(d)}} ${((d.last_seen ?? 0) / 1000).toFixed(3)}`),
  );
  fam(
    "edgewatch_device_clock_ahead",
    "gauge",
    "1 when the device clock runs ahead of the hub beyond ingest.max_clock_ahead",
    devs
      .filter((d) => d.last_seen !== null)
      .map((d) => `edgewatch_device_clock_ahead{${lbl(d)}} ${d.clock_ahead ? 1 : 0}`),
  );
  const checks = k.pings.list();
  fam(
    "edgewatch_check_up",
    "gauge",
    "1 unless the dead-man check is down",
    checks.map(
      (c) => `edgewatch_check_up{check="${esc(c.slug ?? c.uuid)}",name="${esc(c.name)}"} ${c.state === "down" ? 0 : 1}`,
    ),
  );
  fam(
    "edgewatch_check_last_ping_timestamp_seconds",
    "gauge",
    "Time of the check's last ping",
    checks
      .filter((c) => c.last_ping !== null)
      .map(
        (c) =>
          `edgewatch_check_last_ping_timestamp_seconds{check="${esc(c.slug ?? c.uuid)}"} ${((c.last_ping ?? 0) / 1000).toFixed(3)}`,
      ),
  );
  fam("edgewatch_hub_pushes_total", "counter", "Pushes acknowledged since the hub started", [
    `edgewatch_hub_pushes_total ${k.counters.pushes}`,
  ]);
  fam("edgewatch_hub_samples_total", "counter", "History samples stored since the hub started", [
    `edgewatch_hub_samples_total ${k.counters.samples}`,
  ]);
  fam(
    "edgewatch_hub_push_rejected_total",
    "counter",
    "Refused enrollments and pushes by reason",
    Object.entries(k.counters.rejected).map(([r, n]) => `edgewatch_hub_push_rejected_total{reason="${esc(r)}"} ${n}`),
  );
  fam(
    "edgewatch_hub_store_commits_total",
    "counter",
    "Store transactions committed (group commit: several pushes each)",
    [`edgewatch_hub_store_commits_total{store="${k.store.kind}"} ${k.store.stats.commits}`],
  );
  fam("edgewatch_hub_notify_pending", "gauge", "Notifications waiting in the hub's outbox", [
    `edgewatch_hub_notify_pending ${k.alerts.depth()}`,
  ]);
  return `${out.join("\n")}\n`;
}
