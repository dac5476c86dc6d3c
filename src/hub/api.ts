import { actorOf, authorizeAdmin, authorizeRead } from "./auth.ts";
import { commandRoutes } from "./commands.ts";
import type { HubContext } from "./context.ts";
import { deviceRoutes } from "./device-routes.ts";
import { manageRoutes } from "./manage.ts";
import { HttpError, Query, type Route, sendJson } from "./shared.ts";
import { alertView, eventView } from "./views.ts";

export { authorizeAdmin, authorizeRead } from "./auth.ts";

const SECRET_KEYS = /token|secret|password/i;
const auditDetail = (body: unknown): Record<string, unknown> =>
  body && typeof body === "object" && !Array.isArray(body) && !Buffer.isBuffer(body)
    ? Object.fromEntries(Object.entries(body as Record<string, unknown>).filter(([key]) => !SECRET_KEYS.test(key)))
    : {};

/** The fleet API (docs/hub-api.md). */
export function apiRoutes(k: HubContext): Route[] {
  const read = (path: string, fn: Route["handle"], prefix = false): Route => ({
    method: "GET",
    path,
    ...(prefix ? { prefix } : {}),
    handle(req, res, url, body) {
      authorizeRead(k, req);
      return fn(req, res, url, body);
    },
  });
  const adminRead = (path: string, fn: Route["handle"]): Route => ({
    method: "GET",
    path,
    handle(req, res, url, body) {
      authorizeAdmin(k, req);
      return fn(req, res, url, body);
    },
  });
  // Every admin write that succeeded is one line of the hub's audit log.
  const write = (method: "POST" | "DELETE", path: string, fn: Route["handle"], prefix = false): Route => ({
    method,
    path,
    ...(prefix ? { prefix } : {}),
    async handle(req, res, url, body) {
      authorizeAdmin(k, req);
      await fn(req, res, url, body);
      if (res.statusCode < 400)
        await k.audit.write(actorOf(req), `${method} ${path.replace(/\/$/, "")}`, url.pathname, auditDetail(body));
    },
  });
  return [
    read("/api/v1/devices", (_req, res, url) => {
      const q = new Query(url.searchParams);
      const state = q.oneOf("state", ["any", "up", "late", "down", "new"], "any");
      const site = url.searchParams.get("site");
      const tag = url.searchParams.get("tag");
      const list = [...k.liveness.devices.values()]
        .map((l) => l.row)
        .filter(
          (d) => (state === "any" || d.state === state) && (!site || d.site === site) && (!tag || d.tags.includes(tag)),
        )
        .map((d) => k.fleet.view(d));
      sendJson(res, 200, list);
    }),
    read("/api/v1/overview", (_req, res) => sendJson(res, 200, k.fleet.overview())),
    ...deviceRoutes(k, read),
    write(
      "DELETE",
      "/api/v1/devices/",
      async (_req, res, url) => {
        const id = decodeURIComponent(url.pathname.slice("/api/v1/devices/".length));
        if (!(await k.removeDevice(id))) throw new HttpError(404, `no device ${JSON.stringify(id)} is enrolled`);
        sendJson(res, 200, { removed: id });
      },
      true,
    ),
    ...commandRoutes(k, write),
    read("/api/v1/alerts", async (_req, res, url) => {
      const q = new Query(url.searchParams);
      const state = q.oneOf("state", ["any", "firing", "resolved"], "any");
      const limit = q.int("limit", { min: 1, max: 10_000, default: 200 });
      const id = url.searchParams.get("device");
      const dev = id === null ? null : k.liveness.devices.get(id)?.row;
      if (id !== null && !dev) throw new HttpError(404, `no device ${JSON.stringify(id)} is enrolled`);
      // A device's alerts: its own down alerts, its site's unreachable alerts, its checks' alerts.
      const checks = new Set(k.pings.list().flatMap((c) => (c.device === id ? [c.uuid] : [])));
      const rows = (await k.store.alerts({ ...(state !== "any" ? { state } : {}), limit: dev ? 10_000 : limit }))
        .filter(
          (a) =>
            !dev ||
            (a.kind === "device_down" && a.subject === dev.id) ||
            (a.kind === "site_unreachable" && a.subject === dev.site) ||
            (a.kind === "check_down" && checks.has(a.subject)),
        )
        .slice(0, limit);
      sendJson(res, 200, rows.map(alertView));
    }),
    read("/api/v1/events", async (_req, res, url) => {
      const q = new Query(url.searchParams);
      const rows = await k.store.events({
        ...(url.searchParams.get("device") ? { device: url.searchParams.get("device") as string } : {}),
        limit: q.int("limit", { min: 1, max: 10_000, default: 200 }),
      });
      sendJson(res, 200, rows.map(eventView));
    }),
    adminRead("/api/v1/audit", (_req, res, url) => {
      const limit = new Query(url.searchParams).int("limit", { min: 1, max: 2000, default: 200 });
      sendJson(res, 200, k.audit.list(limit));
    }),
    ...k.shares.routes(write, adminRead),
    ...manageRoutes(k, read, write),
  ];
}
