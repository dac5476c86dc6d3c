import { randomUUID } from "node:crypto";
import { z } from "zod";
import { parseDuration } from "../config/kit.ts";
import type { SilenceView } from "./api-types.ts";
import type { HubContext } from "./context.ts";
import { HttpError, parse, type Route, sendJson } from "./shared.ts";
import { checkView } from "./views.ts";

export { parse } from "./shared.ts";

const durationOrSeconds = z.union([z.number().positive(), z.string()]).transform((v, ctx) => {
  const ms = typeof v === "number" ? v * 1000 : parseDuration(v);
  if (ms === null || ms <= 0) {
    ctx.addIssue({ code: "custom", message: `expected a duration like "30m" or seconds, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return ms;
});
const silenceBody = z
  .strictObject({
    device: z.string().min(1).optional(),
    site: z.string().min(1).optional(),
    tag: z.string().min(1).optional(),
    starts_at: z.string().optional(),
    duration: durationOrSeconds.optional(),
    ends_at: z.string().optional(),
    comment: z.string().max(500).default(""),
  })
  .refine((s) => s.device || s.site || s.tag, { message: "expected at least one of device, site, tag" })
  .refine((s) => s.duration || s.ends_at, { message: "expected duration or ends_at" });
const checkBody = z.strictObject({
  name: z.string().min(1).max(100),
  slug: z
    .string()
    .regex(/^[a-z0-9_-]{1,100}$/)
    .optional(),
  period: durationOrSeconds.default(86_400),
  grace: durationOrSeconds.default(3_600),
  schedule: z.string().max(100).optional(),
  device: z.string().min(1).max(128).optional().describe("the device this check watches"),
});
export const when = (v: string | undefined, now: number, name: string, def: number): number => {
  if (v === undefined || v === "") return def;
  if (/^\d{10,13}$/.test(v)) return v.length === 13 ? Number(v) : Number(v) * 1000;
  const rel = /^-(.+)$/.exec(v);
  if (rel) {
    const ms = parseDuration(rel[1] as string);
    if (ms !== null) return now - ms;
  }
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new HttpError(
      400,
      `${name}: expected an ISO time, epoch seconds or "-1h", got ${JSON.stringify(v.slice(0, 40))}`,
    );
  return t;
};

type Read = (path: string, fn: Route["handle"], prefix?: boolean) => Route;
type Write = (method: "POST" | "DELETE", path: string, fn: Route["handle"], prefix?: boolean) => Route;

/** Checks and silences: read with the viewer token, changed with the admin token. */
export function manageRoutes(k: HubContext, read: Read, write: Write): Route[] {
  return [
    read("/api/v1/checks", (req, res, url) => {
      const device = url.searchParams.get("device");
      sendJson(
        res,
        200,
        k.pings
          .list()
          .filter((c) => device === null || c.device === device)
          .map((c) => checkView(c, req)),
      );
    }),
    write("POST", "/api/v1/checks", async (req, res, _url, body) => {
      const b = parse(checkBody, body, "check");
      const c = k.pings.blank(b.slug ?? null, b.name);
      Object.assign(c, {
        period_ms: b.period,
        grace_ms: b.grace,
        schedule: b.schedule ?? null,
        device: b.device ?? null,
      });
      try {
        await k.pings.save(c);
      } catch (err) {
        throw new HttpError(400, `check: ${(err as Error).message}`);
      }
      sendJson(res, 201, checkView(c, req));
    }),
    write(
      "DELETE",
      "/api/v1/checks/",
      async (_req, res, url) => {
        const uuid = url.pathname.slice("/api/v1/checks/".length);
        if (!(await k.pings.remove(uuid))) throw new HttpError(404, `no check ${JSON.stringify(uuid)}`);
        sendJson(res, 200, { removed: uuid });
      },
      true,
    ),
    read("/api/v1/silences", async (_req, res) => {
      const list: SilenceView[] = await k.store.listSilences();
      sendJson(res, 200, list);
    }),
    write("POST", "/api/v1/silences", async (_req, res, _url, body) => {
      const b = parse(silenceBody, body, "silence");
      const now = Date.now();
      const starts = when(b.starts_at, now, "starts_at", now);
      const ends = b.ends_at ? when(b.ends_at, now, "ends_at", now) : starts + (b.duration as number);
      if (ends <= starts) throw new HttpError(400, "silence: ends_at must be after starts_at");
      const row = {
        id: randomUUID(),
        device: b.device ?? null,
        site: b.site ?? null,
        tag: b.tag ?? null,
        starts_at: starts,
        ends_at: ends,
        comment: b.comment,
        created_at: now,
      };
      await k.store.putSilence(row);
      await k.silencesChanged();
      sendJson(res, 201, row);
    }),
    write(
      "DELETE",
      "/api/v1/silences/",
      async (_req, res, url) => {
        const id = url.pathname.slice("/api/v1/silences/".length);
        if (!(await k.store.deleteSilence(id))) throw new HttpError(404, `no silence ${JSON.stringify(id)}`);
        await k.silencesChanged();
        sendJson(res, 200, { removed: id });
      },
      true,
    ),
  ];
}
