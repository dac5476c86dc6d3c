import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

/**
 * The one Redis client edgewatch has (no dependency): RESP2 parsing, redis:// URLs, and a small
 * read-only connection that pipelines commands. Used by the Redis collector and the RQ/BullMQ readers.
 */
export type Reply = string | number | null | Error | Reply[];

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

/**
 * A small read-only Redis client for the queue readers: one connection per collection, commands
 * pipelined round by round (a whole queue's counts in one round trip). No dependency, no
 * reconnect logic: a failed collection is reported as "down" and the next one connects afresh.
 */
export class RedisReader {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { n: number; replies: Reply[]; resolve: (r: Reply[]) => void; reject: (e: Error) => void } | null =
    null;
  private failure: Error | null = null;

  private constructor(private readonly sock: Socket) {
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

  /** Opens the connection only (no login, no idle timeout): rejects naming host:port and the reason. */
  static async open(t: RedisTarget, timeoutMs: number): Promise<RedisReader> {
    const sock = t.tls
      ? tlsConnect({ host: t.host, port: t.port, servername: t.host })
      : netConnect({ host: t.host, port: t.port });
    sock.setNoDelay(true);
    const timer = setTimeout(() => sock.destroy(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    try {
      await new Promise<void>((resolve, reject) => {
        sock.once(t.tls ? "secureConnect" : "connect", () => resolve());
        sock.once("error", reject);
      });
    } catch (err) {
      sock.destroy();
      throw new Error(`cannot connect to Redis at ${t.label}: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    return new RedisReader(sock);
  }

  /** Connects (AUTH and SELECT from the URL). Rejects with a message naming host:port and the reason. */
  static async connect(url: string, timeoutMs: number): Promise<RedisReader> {
    const t = parseRedisUrl(url);
    const db = Number(new URL(url).pathname.replace(/^\//, "") || 0);
    const r = await RedisReader.open(t, timeoutMs);
    const sock = r.sock;
    sock.setTimeout(timeoutMs, () =>
      sock.destroy(new Error(`Redis at ${t.label} did not answer within ${timeoutMs} ms`)),
    );
    const setup: string[][] = [];
    if (t.password !== undefined) setup.push(["AUTH", ...(t.username ? [t.username] : []), t.password]);
    if (Number.isInteger(db) && db > 0) setup.push(["SELECT", String(db)]);
    if (setup.length) {
      const replies = await r.pipeline(setup).catch((err) => {
        r.close();
        throw err;
      });
      const bad = replies.find((x) => x instanceof Error);
      if (bad) {
        r.close();
        throw new Error(`Redis at ${t.label} refused the login: ${(bad as Error).message}`);
      }
    }
    return r;
  }

  /** Sends every command at once; resolves with one reply per command (a Redis error is an Error value). */
  pipeline(cmds: string[][]): Promise<Reply[]> {
    if (cmds.length === 0) return Promise.resolve([]);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { n: cmds.length, replies: [], resolve, reject };
      this.sock.write(cmds.map(encode).join(""));
      this.drain();
    });
  }

  /** One command; a Redis error reply rejects with "Redis answered: <error>". */
  async command(...args: string[]): Promise<Reply> {
    const [reply] = await this.pipeline([args]);
    if (reply instanceof Error) throw new Error(`Redis answered: ${reply.message}`);
    return reply ?? null;
  }

  close(): void {
    this.sock.on("error", () => {}); // a late error after we are done must not crash the agent
    this.sock.destroy();
  }

  private drain(): void {
    const w = this.waiting;
    if (!w) return;
    while (w.replies.length < w.n) {
      let r: ReturnType<typeof parseReply>;
      try {
        r = parseReply(this.buf);
      } catch (err) {
        this.waiting = null;
        w.reject(err as Error);
        return;
      }
      if (!r) return;
      this.buf = this.buf.subarray(r.end);
      w.replies.push(r.value);
    }
    this.waiting = null;
    w.resolve(w.replies);
  }
}

function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
}

export const asNumber = (r: Reply | undefined): number => (typeof r === "number" ? r : Number(r ?? 0) || 0);
export const asArray = (r: Reply | undefined): Reply[] => (Array.isArray(r) ? r : []);
export const asString = (r: Reply | undefined): string | null => (typeof r === "string" ? r : null);
