import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { parseRedisUrl, parseReply } from "../../agent/collectors/redis.ts";

export type Reply = string | number | null | Error | Reply[];

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

  /** Connects (AUTH and SELECT from the URL). Rejects with a message naming host:port and the reason. */
  static async connect(url: string, timeoutMs: number): Promise<RedisReader> {
    const t = parseRedisUrl(url);
    const db = Number(new URL(url).pathname.replace(/^\//, "") || 0);
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
    const r = new RedisReader(sock);
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

/** Redis replied with an error to a read: a wrong key type, usually. Named in the collector's error. */
export function firstError(replies: Reply[]): Error | null {
  for (const r of replies) if (r instanceof Error) return r;
  return null;
}
