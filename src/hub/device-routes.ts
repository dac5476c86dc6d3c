import { parseDuration } from "../config/kit.ts";
import type { DailyPoint, HistoryAnswer } from "./api-types.ts";
import { commandView } from "./commands.ts";
import type { HubContext } from "./context.ts";
import { when } from "./manage.ts";
import { HttpError, Query, type Route, sendJson } from "./shared.ts";
import { DERIVED_KEYS } from "./summary.ts";
import { eventView } from "./views.ts";

type Read = (path: string, fn: Route["handle"], prefix?: boolean) => Route;

/** YYYY-MM-DD of a time in the hub's local time zone. */
export function localDay(t: number): string {
  const d = new Date(t);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** Captures per local day: the largest "captures today" the device reported that day (from the rollups). */
export async function daily(k: HubContext, id: string, days: number, now: number): Promise<DailyPoint[]> {
  const start = new Date(now);
  start.setHours(0, 0, 0, 0);
  start.setDate(start.getDate() - (days - 1));
  const points = await k.store.history(id, start.getTime(), now, 3_600_000);
  const out = new Map<string, DailyPoint>();
  for (let d = new Date(start); d.getTime() <= now; d.setDate(d.getDate() + 1))
    out.set(localDay(d.getTime()), { day: localDay(d.getTime()), captures: null, expected: null });
  for (const p of points) {
    const day = out.get(localDay(Math.max(p.t, start.getTime())));
    if (!day) continue;
    const c = p.values[DERIVED_KEYS.captures]?.max;
    const e = p.values[DERIVED_KEYS.expected]?.max;
    if (c !== undefined) day.captures = Math.max(day.captures ?? 0, c);
    if (e !== undefined) day.expected = Math.max(day.expected ?? 0, e);
  }
  return [...out.values()];
}

/** GET /api/v1/devices/<id>[/history|/events|/daily|/thumbnail|/commands]. */
export function deviceRoutes(k: HubContext, read: Read): Route[] {
  const device = (id: string) => {
    const l = k.liveness.devices.get(id);
    if (!l) throw new HttpError(404, `no device ${JSON.stringify(id)} is enrolled`);
    return l.row;
  };
  return [
    read(
      "/api/v1/devices/",
      async (_req, res, url) => {
        const [id, sub, ...more] = url.pathname.slice("/api/v1/devices/".length).split("/").map(decodeURIComponent);
        if (!id || more.length > 0) throw new HttpError(404, `no such path: ${url.pathname.slice(0, 200)}`);
        const d = device(id);
        const q = new Query(url.searchParams);
        if (sub === undefined) return sendJson(res, 200, { ...k.fleet.view(d), document: d.status });
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
          const answer: HistoryAnswer = {
            device: id,
            from: new Date(from).toISOString(),
            to: new Date(to).toISOString(),
            step_seconds: step / 1000,
            points: points.map((p) => ({ ...p, t: new Date(p.t).toISOString() })),
          };
          return sendJson(res, 200, answer);
        }
        if (sub === "events")
          return sendJson(
            res,
            200,
            (await k.store.events({ device: id, limit: q.int("limit", { min: 1, max: 10_000, default: 200 }) })).map(
              eventView,
            ),
          );
        if (sub === "daily")
          return sendJson(res, 200, await daily(k, id, q.int("days", { min: 1, max: 400, default: 30 }), Date.now()));
        if (sub === "commands") {
          const rows = await k.store.fleet.commands(id, { limit: q.int("limit", { min: 1, max: 1000, default: 50 }) });
          return sendJson(res, 200, rows.map(commandView));
        }
        if (sub === "thumbnail") {
          const t = await k.store.fleet.getData(id, "thumbnail");
          if (!t) throw new HttpError(404, `device ${JSON.stringify(id)} has sent no thumbnail yet`);
          const body = Buffer.from(t.value, "base64");
          const etag = `"${t.t}"`;
          const fixed = url.searchParams.get("v") === String(t.t);
          res.setHeader("ETag", etag);
          res.setHeader("Cache-Control", fixed ? "private, max-age=31536000, immutable" : "private, no-cache");
          if (_req.headers["if-none-match"] === etag) {
            res.writeHead(304);
            res.end();
            return;
          }
          res.writeHead(200, { "Content-Type": "image/jpeg", "Content-Length": body.length });
          res.end(body);
          return;
        }
        throw new HttpError(404, `no such path: ${url.pathname.slice(0, 200)}`);
      },
      true,
    ),
  ];
}
