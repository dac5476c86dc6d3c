import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { JsonObject } from "../../protocol/json.ts";
import { type CollectorFactory, gauge, num } from "./types.ts";

type Reply = string | number | null | Error | Reply[];

/** Parse one RESP2 reply from `buf` at `pos`; null when more bytes are needed. */
export function parseReply(buf: Buffer, pos = 0): { value: Reply; end: number } | null {
  const nl = buf.indexOf("\r\n", pos);
  if (nl < 0) return null;
  const type = String.fromCharCode(buf[pos] as number);
  const line = buf.toString("utf8", pos + 1, nl);
  const next = nl + 2;
  switch (type) {
    case "+":
      return { value: line, end: next };
    case "-":
      return { value: new Error(line), end: next };
    case ":":
      return { value: Number(line), end: next };
    case "$": {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return null;
      return { value: buf.toString("utf8", next, next + len), end: next + len + 2 };
    }
    case "*": {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const items: Reply[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, p);
        if (!r) return null;
        items.push(r.value);
        p = r.end;
      }
      return { value: items, end: p };
    }
    default:
      throw new Error(`not a Redis reply (starts with ${JSON.stringify(type)})`);
  }
}

function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
}

/** A minimal one-shot RESP connection: send a command, await its reply. */
class RespConnection {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;

  constructor(private readonly sock: Socket) {
    sock.on("data", (chunk: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      this.drain();
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      this.waiting?.reject(err);
      this.waiting = null;
    };
    sock.on("error", fail);
    sock.on("close", () => fail(new Error("connection closed by Redis")));
  }

  private drain(): void {
    if (!this.waiting) return;
    let r: ReturnType<typeof parseReply>;
    try {
      r = parseReply(this.buf);
    } catch (err) {
      this.waiting.reject(err as Error);
      this.waiting = null;
      return;
    }
    if (!r) return;
    this.buf = this.buf.subarray(r.end);
    const w = this.waiting;
    this.waiting = null;
    if (r.value instanceof Error) w.reject(new Error(`Redis answered: ${r.value.message}`));
    else w.resolve(r.value);
  }

  command(...args: string[]): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.sock.write(encode(args));
      this.drain();
    });
  }
}

export interface RedisTarget {
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
  /** host:port, safe to show (no credentials). */
  label: string;
}

export function parseRedisUrl(url: string): RedisTarget {
  const u = new URL(url);
  if (u.protocol !== "redis:" && u.protocol !== "rediss:")
    throw new Error(`expected redis:// or rediss://, got ${u.protocol}`);
  const host = u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
  const port = u.port ? Number(u.port) : 6379;
  return {
    host,
    port,
    tls: u.protocol === "rediss:",
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    label: `${u.hostname}:${port}`,
  };
}

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
export async function probeRedis(t: RedisTarget, timeoutMs: number, signal?: AbortSignal): Promise<JsonObject> {
  const sock = t.tls
    ? tlsConnect({ host: t.host, port: t.port, servername: t.host })
    : netConnect({ host: t.host, port: t.port });
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => sock.destroy(new Error("aborted"));
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const work = (async () => {
      await new Promise<void>((resolve, reject) => {
        sock.once(t.tls ? "secureConnect" : "connect", () => resolve());
        sock.once("error", reject);
      });
      const conn = new RespConnection(sock);
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
      } satisfies JsonObject;
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
    sock.on("error", () => {}); // a late error after we are done must not crash the agent
    sock.destroy();
  }
}

export const redisCollector: CollectorFactory = (config) => {
  const c = config.collectors.redis;
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
};
