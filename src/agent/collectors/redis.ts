import { z } from "zod";
import { duration } from "../../config/kit.ts";
import { parseRedisUrl, RedisReader, type RedisTarget } from "../../lib/redis.ts";
import type { RedisData } from "./data.ts";
import { type Collector, defineCollector, essential, gauge, interval, num } from "./types.ts";

export type { RedisData };

/** INFO text → key/value map. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Connect, AUTH when the URL has a password, PING (timed), INFO memory. Never throws: down is data. */
export async function probeRedis(t: RedisTarget, timeoutMs: number, signal?: AbortSignal): Promise<RedisData> {
  let timer: NodeJS.Timeout | undefined;
  let conn: RedisReader | null = null;
  const onAbort = () => conn?.close();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const work = (async () => {
      conn = await RedisReader.open(t, timeoutMs);
      if (signal?.aborted) throw new Error("aborted");
      if (t.password !== undefined) {
        await conn.command("AUTH", ...(t.username ? [t.username] : []), t.password);
      }
      const started = process.hrtime.bigint();
      const pong = await conn.command("PING");
      const pingSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (pong !== "PONG") throw new Error(`expected PONG, got ${JSON.stringify(pong)}`);
      const info = await conn.command("INFO", "memory");
      const mem = parseInfo(typeof info === "string" ? info : "");
      const n = (k: string) => (mem[k] !== undefined && Number.isFinite(Number(mem[k])) ? Number(mem[k]) : null);
      return {
        target: t.label,
        up: true,
        ping_seconds: Math.round(pingSeconds * 1e6) / 1e6,
        used_memory_bytes: n("used_memory"),
        used_memory_rss_bytes: n("used_memory_rss"),
        maxmemory_bytes: n("maxmemory"),
        error: null,
      } satisfies RedisData;
    })();
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    work.catch(() => {}); // when the deadline wins, the abandoned work must not reject unhandled
    return await Promise.race([work, deadline]);
  } catch (err) {
    return {
      target: t.label,
      up: false,
      ping_seconds: null,
      used_memory_bytes: null,
      used_memory_rss_bytes: null,
      maxmemory_bytes: null,
      error: (err as Error).message || String(err),
    };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    (conn as RedisReader | null)?.close();
  }
}

const schema = () =>
  z
    .strictObject({
      url: z
        .string()
        .regex(/^rediss?:\/\/.+/, { error: 'expected a Redis URL like "redis://127.0.0.1:6379"' })
        .refine((u) => URL.canParse(u), { error: 'expected a Redis URL like "redis://127.0.0.1:6379"' })
        .optional()
        .describe("Redis to watch (redis:// or rediss://, password in the URL or ${ENV}); unset: no Redis collector"),
      interval: interval("30s", "Redis"),
      essential: essential(false),
      timeout: duration().prefault("2s").describe("Connect + PING + INFO must finish within this"),
    })
    .prefault({})
    .describe("Redis connected, PING latency and memory; a Redis that is down is reported, not an error");

export type RedisConfig = z.output<ReturnType<typeof schema>>;

export const redisCollector = defineCollector("redis", schema, (c): Collector<RedisData> | null => {
  if (!c.url) return null;
  const target = parseRedisUrl(c.url);
  return {
    name: "redis",
    essential: c.essential,
    intervalMs: c.interval,
    collect: (ctx) => probeRedis(target, c.timeout, ctx.signal),
    metrics(d) {
      return [
        ...gauge("edgewatch_redis_up", "1 when Redis answered PING", num(d.up)),
        ...gauge("edgewatch_redis_ping_seconds", "Round trip of one PING", d.ping_seconds),
        ...gauge("edgewatch_redis_used_memory_bytes", "Redis used_memory (INFO memory)", d.used_memory_bytes),
        ...gauge("edgewatch_redis_maxmemory_bytes", "Redis maxmemory (0 = no limit)", d.maxmemory_bytes),
      ];
    },
  };
});
