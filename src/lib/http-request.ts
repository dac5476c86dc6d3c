import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Answers longer than this are cut (only their start is kept, for error messages). */
  maxBodyBytes?: number;
}

const agents = {
  http: new HttpAgent({ keepAlive: true, maxSockets: 4 }),
  https: new HttpsAgent({ keepAlive: true, maxSockets: 4 }),
};

/**
 * One HTTP(S) request with node:http: a fraction of the memory `fetch` (undici) takes once loaded,
 * which matters on a 512 MB Pi. Rejects on network errors and on timeout (the whole exchange).
 */
export function request(url: string, o: HttpRequestOptions): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const tls = u.protocol === "https:";
    const body = o.body === undefined ? undefined : typeof o.body === "string" ? Buffer.from(o.body) : o.body;
    const req = (tls ? httpsRequest : httpRequest)(
      u,
      {
        method: o.method ?? "POST",
        agent: tls ? agents.https : agents.http,
        headers: { ...(body ? { "content-length": String(body.length) } : {}), ...o.headers },
        ...(o.signal ? { signal: o.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const max = o.maxBodyBytes ?? 65_536;
        res.on("data", (c: Buffer) => {
          if (size < max) chunks.push(c);
          size += c.length;
        });
        res.on("end", () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8").slice(0, max),
          });
        });
        res.on("error", (err) => {
          clearTimeout(timer);
          reject(err);
        });
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}
