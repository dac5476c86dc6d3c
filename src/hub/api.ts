import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { z } from "zod";
import { parseDuration } from "../config/kit.ts";
import type { HubContext } from "./context.ts";
import { manageRoutes, parse, when } from "./manage.ts";
import { HttpError, Query, type Route, sendJson } from "./shared.ts";
import type { DeviceRow } from "./store/types.ts";

const h = (s: string) => createHash("sha256").update(s).digest();
function tokenIs(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return false;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  return !!m && timingSafeEqual(h(m[1] ?? ""), h(token));
}

/** Reads need viewer_token (or admin_token) when one is set; with none, reads are open. */
export function authorizeRead(k: HubContext, req: IncomingMessage): void {
  const { viewer_token, admin_token } = k.config;
  if (!viewer_token) return;
  if (tokenIs(req, viewer_token) || tokenIs(req, admin_token)) return;
  throw new HttpError(401, "reads need Authorization: Bearer <viewer_token>", {
    "WWW-Authenticate": 'Bearer realm="edgewatch-hub"',
  });
}

/** Writes always need admin_token; with none configured they are refused. */
export function authorizeAdmin(k: HubContext, req: IncomingMessage): void {
  if (!k.config.admin_token) throw new HttpError(403, "writes are disabled: set admin_token in the hub config");
  if (!tokenIs(req, k.config.admin_token)) {
    throw new HttpError(401, "writes need Authorization: Bearer <admin_token>", {
      "WWW-Authenticate": 'Bearer realm="edgewatch-hub"',
    });
  }
}

export function deviceView(k: HubContext, d: DeviceRow) {
  return {
    id: d.id,
    site: d.site,
    tags: d.tags,
    state: d.state === "new" ? "new" : d.state,
    since: new Date(d.state_since).toISOString(),
    last_seen: d.last_seen === null ? null : new Date(d.last_seen).toISOString(),
    interval_seconds: d.interval_ms / 1000,
    offline_after_seconds: k.liveness.offlineAfter(d) / 1000,
    status: typeof d.status?.status === "string" ? d.status.status : null,
    clock_ahead: d.clock_ahead,
    clock_offset_seconds: d.clock_offset_ms === null ? null : Math.round(d.clock_offset_ms / 1000),
    pushes: d.pushes,
    silenced: !!k.alerts.silencedBy({ device: d.id, site: d.site, tags: d.tags }, Date.now()),
  };
}

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
  const write = (method: "POST" | "DELETE", path: string, fn: Route["handle"], prefix = false): Route => ({
    method,
    path,
    ...(prefix ? { prefix } : {}),
    handle(req, res, url, body) {
      authorizeAdmin(k, req);
      return fn(req, res, url, body);
    },
  });
  const device = (id: string) => {
    const l = k.liveness.devices.get(id);
    if (!l) throw new HttpError(404, `no device ${JSON.stringify(id)} is enrolled`);
    return l.row;
  };
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
        .map((d) => deviceView(k, d));
      sendJson(res, 200, list);
    }),
    read(
      "/api/v1/devices/",
      async (_req, res, url) => {
        const [id, sub, ...more] = url.pathname.slice("/api/v1/devices/".length).split("/").map(decodeURIComponent);
        if (!id || more.length > 0) throw new HttpError(404, `no such path: ${url.pathname.slice(0, 200)}`);
        const d = device(id);
        if (sub === undefined) return sendJson(res, 200, { ...deviceView(k, d), document: d.status });
        if (sub === "history") {
          const now = Date.now();
          const from = when(url.searchParams.get("from") ?? undefined, now, "from", now - 3_600_000);
          const to = when(url.searchParams.get("to") ?? undefined, now, "to", now);
          if (to < from)
            throw new HttpError(
              400,
              `to (${new Date(to).toISOString()}) is before from (${new Date(from).toISOString()})`,
            );
          const stepText = url.searchParams.get("step");
          const step = stepText ? parseDuration(stepText) : Math.max(60_000, Math.floor((to - from) / 300));
          if (step === null || step <= 0)
            throw new HttpError(400, `step: expected a duration like "5m", got ${JSON.stringify(stepText)}`);
          const points = await k.store.history(id, from, to, step);
          return sendJson(res, 200, {
            device: id,
            from: new Date(from).toISOString(),
            to: new Date(to).toISOString(),
            step_seconds: step / 1000,
            points: points.map((p) => ({ ...p, t: new Date(p.t).toISOString() })),
          });
        }
        if (sub === "events")
          return sendJson(
            res,
            200,
            await k.store.events({
              device: id,
              limit: new Query(url.searchParams).int("limit", { min: 1, max: 10_000, default: 200 }),
            }),
          );
        throw new HttpError(404, `no such path: ${url.pathname.slice(0, 200)}`);
      },
      true,
    ),
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
    write(
      "POST",
      "/api/v1/devices/",
      async (_req, res, url, body) => {
        const m = /^\/api\/v1\/devices\/([^/]+)\/commands$/.exec(url.pathname);
        if (!m) throw new HttpError(404, `no such path: ${url.pathname.slice(0, 200)}`);
        const id = decodeURIComponent(m[1] as string);
        device(id);
        const cmd = parse(
          z.strictObject({ action: z.string().min(1).max(64), args: z.record(z.string(), z.unknown()).optional() }),
          body,
          "command",
        );
        const queued = { id: randomUUID(), ...cmd, queued_at: new Date().toISOString() };
        k.queueCommand(id, queued);
        sendJson(res, 202, queued);
      },
      true,
    ),
    read("/api/v1/alerts", async (_req, res, url) => {
      const q = new Query(url.searchParams);
      const state = q.oneOf("state", ["any", "firing", "resolved"], "any");
      const rows = await k.store.alerts({
        ...(state !== "any" ? { state } : {}),
        limit: q.int("limit", { min: 1, max: 10_000, default: 200 }),
      });
      sendJson(
        res,
        200,
        rows.map((a) => ({
          ...a,
          since: new Date(a.since).toISOString(),
          resolved_at: a.resolved_at ? new Date(a.resolved_at).toISOString() : null,
        })),
      );
    }),
    read("/api/v1/events", async (_req, res, url) => {
      const q = new Query(url.searchParams);
      const rows = await k.store.events({
        ...(url.searchParams.get("device") ? { device: url.searchParams.get("device") as string } : {}),
        limit: q.int("limit", { min: 1, max: 10_000, default: 200 }),
      });
      sendJson(
        res,
        200,
        rows.map((e) => ({ ...e, t: new Date(e.t).toISOString() })),
      );
    }),
    ...manageRoutes(k, read, write),
  ];
}
