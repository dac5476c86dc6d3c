import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { z } from "zod";
import type { JsonObject } from "../protocol/json.ts";
import { commandResults, resultsBody, takeCommands } from "./commands.ts";
import type { HubContext } from "./context.ts";
import { pushedAlerts } from "./fleet.ts";
import { HttpError, type Route, sendJson } from "./shared.ts";
import type { PushBatch } from "./store/types.ts";
import { derivedSample, deriveSummary } from "./summary.ts";
import { thumbnailBody, thumbnailBytes } from "./thumbnail.ts";

export const hashToken = (t: string) => createHash("sha256").update(t).digest("hex");

const idRe = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const enrollBody = z.strictObject({
  id: z.string().regex(idRe, { error: 'expected a device id like "cam-1"' }),
  site: z.string().min(1).max(128).default("default"),
  tags: z.array(z.string().min(1).max(64)).max(32).default([]),
  interval: z.number().positive().max(86_400).default(15),
});

const pushBody = z.strictObject({
  boot_id: z.string().min(1).max(64),
  seq: z.number().int().positive(),
  sent_at: z.number().describe("device clock, ms"),
  interval: z.number().positive().max(86_400).describe("seconds between pushes"),
  status: z.record(z.string(), z.unknown()).nullable().optional(),
  metrics: z
    .string()
    .max(4 * 1024 * 1024)
    .nullable()
    .optional(),
  samples: z
    .array(z.strictObject({ t: z.number(), v: z.record(z.string().max(128), z.number()) }))
    .max(100_000)
    .default([]),
  events: z
    .array(
      z.object({ t: z.number(), level: z.string().max(16), source: z.string().max(64), message: z.string().max(4096) }),
    )
    .max(10_000)
    .default([]),
  alerts: z.array(z.record(z.string(), z.unknown())).max(10_000).default([]),
  firing: z.array(z.record(z.string(), z.unknown())).max(1000).optional().describe("the device's firing alerts now"),
  command_results: resultsBody.default([]),
  thumbnail: thumbnailBody.optional(),
});

function bearer(req: IncomingMessage): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  return m?.[1] ?? null;
}

const problems = (err: z.ZodError) =>
  err.issues
    .slice(0, 5)
    .map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`)
    .join("; ");

/** Per-address token bucket for enrollments (a flood gets 429, nothing stored). */
class RateLimit {
  private buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly perMinute: number) {}
  take(addr: string, now: number): number {
    const b = this.buckets.get(addr) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + ((now - b.at) / 60_000) * this.perMinute);
    b.at = now;
    this.buckets.set(addr, b);
    if (this.buckets.size > 10_000) this.buckets.clear();
    if (b.tokens < 1) return Math.ceil(((1 - b.tokens) * 60) / this.perMinute);
    b.tokens -= 1;
    return 0;
  }
}

/** POST /api/v1/enroll and POST /api/v1/push. */
export function ingestRoutes(k: HubContext): Route[] {
  const limit = new RateLimit(k.config.ingest.enroll_per_minute);
  const counters = k.counters;
  const reject = (reason: string, status: number, message: string, headers: Record<string, string> = {}) => {
    counters.rejected[reason] = (counters.rejected[reason] ?? 0) + 1;
    return new HttpError(status, message, headers);
  };
  return [
    {
      method: "POST",
      path: "/api/v1/enroll",
      async handle(req, res, _url, body) {
        const now = Date.now();
        const wait = limit.take(req.socket.remoteAddress ?? "?", now);
        if (wait > 0)
          throw reject("rate_limited", 429, "too many enrollments from this address; try again later", {
            "Retry-After": String(wait),
          });
        const key = bearer(req);
        if (!key || hashToken(key) !== hashToken(k.enrollKey)) {
          throw reject("auth", 401, "enrollment needs Authorization: Bearer <enroll_key> (the hub's enroll key)", {
            "WWW-Authenticate": 'Bearer realm="edgewatch-hub"',
          });
        }
        const parsed = enrollBody.safeParse(body ?? {});
        if (!parsed.success) throw reject("invalid", 400, `enroll body: ${problems(parsed.error)}`);
        const d = parsed.data;
        const token = `ewd_${randomBytes(32).toString("base64url")}`;
        const r = await k.store.enroll({
          id: d.id,
          site: d.site,
          tags: d.tags,
          token_hash: hashToken(token),
          now,
          interval_ms: d.interval * 1000,
        });
        if (r === "exists") {
          throw reject(
            "exists",
            409,
            `device ${d.id} is already enrolled; to enroll it again, remove it first (DELETE /api/v1/devices/${d.id} with the admin token)`,
          );
        }
        await k.deviceChanged(d.id, now, false);
        sendJson(res, 201, { id: d.id, token });
      },
    },
    {
      method: "POST",
      path: "/api/v1/push",
      async handle(req, res, _url, body) {
        const received = Date.now();
        const token = bearer(req);
        const dev = token ? (k.byToken(hashToken(token)) ?? (await k.tokenFromStore(hashToken(token)))) : undefined;
        if (!dev) {
          throw reject(
            "auth",
            401,
            token ? "unknown device token (enroll again)" : "push needs Authorization: Bearer <device token>",
            {
              "WWW-Authenticate": 'Bearer realm="edgewatch-hub"',
            },
          );
        }
        const parsed = pushBody.safeParse(body);
        if (!parsed.success) throw reject("invalid", 400, `push body: ${problems(parsed.error)}`);
        const p = parsed.data;
        const offset = p.sent_at - received;
        const ahead = offset > k.config.ingest.max_clock_ahead;
        // Device time is trusted for history only within max_clock_ahead; a clock far ahead is corrected
        // by its measured offset and never stamps a sample later than the hub's receive time.
        const fix = (t: number) => Math.min(ahead ? t - offset : t, received);
        const batch: PushBatch = {
          device: dev,
          boot_id: p.boot_id,
          seq: p.seq,
          received,
          interval_ms: p.interval * 1000,
          status: (p.status ?? null) as JsonObject | null,
          exposition: p.metrics ?? null,
          samples: p.samples.map((s) => ({ t: fix(s.t), v: s.v })),
          events: [
            ...p.events.map((e) => ({ t: fix(e.t), level: e.level, source: e.source, message: e.message })),
            ...p.alerts.map((a) => ({
              t: received,
              level: "warning",
              source: "alert",
              message:
                `${String(a.rule ?? a.id ?? "alert")} ${String(a.state ?? "")}: ${String(a.summary ?? "")}`.slice(
                  0,
                  4096,
                ),
            })),
          ],
          alerts: p.alerts as JsonObject[],
          clock_offset_ms: offset,
          clock_ahead: ahead,
        };
        // The summary the fleet page shows, and its values worth a history line (on the newest sample).
        const summary = deriveSummary(k.fleet.summary(dev), batch.status, batch.samples);
        if (batch.status) {
          const extra = derivedSample(summary);
          const newest = batch.samples.reduce<(typeof batch.samples)[number] | null>(
            (a, b) => (!a || b.t >= a.t ? b : a),
            null,
          );
          if (newest) Object.assign(newest.v, extra);
          else if (Object.keys(extra).length > 0) batch.samples.push({ t: received, v: extra });
        }
        const thumb = p.thumbnail ? thumbnailBytes(p.thumbnail) : null;
        if (p.thumbnail && !thumb)
          throw reject("invalid", 400, "push body: thumbnail: expected a base64 JPEG of at most 64 KiB");
        const fleet = k.fleet.prepare(
          dev,
          summary,
          pushedAlerts(k.fleet.pushed.get(dev) ?? [], p.firing as JsonObject[] | undefined, batch.alerts),
          thumb,
        );
        batch.data = fleet.data;
        const r = await k.store.ingest(batch);
        if (r === "replay") {
          throw reject("replay", 409, `batch ${p.seq} of boot ${p.boot_id} was already acknowledged; nothing stored`);
        }
        counters.pushes++;
        counters.samples += batch.samples.length;
        fleet.stored(received);
        await commandResults(k, dev, p.command_results, received);
        await k.deviceChanged(dev, received, true);
        const answer: Record<string, unknown> = {
          ok: true,
          acked: p.seq,
          received,
          commands: await takeCommands(k, dev, received),
        };
        if (ahead)
          answer.warnings = [`device clock is ${Math.round(offset / 1000)} s ahead of the hub; samples restamped`];
        sendJson(res, 200, answer);
      },
    },
  ];
}
