import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { z } from "zod";
import type { Logger } from "../lib/log.ts";
import { ControlGuard } from "./auth.ts";
import type { httpSection } from "./config.ts";
import { HttpError, sendError } from "./respond.ts";
import type { Route } from "./route.ts";

type HttpConfig = z.output<ReturnType<typeof httpSection>>;

export interface HttpServerOptions {
  http: HttpConfig;
  routes: Route[];
  log: Logger;
  /** Defaults to a ControlGuard on http.token. */
  guard?: ControlGuard;
}

export interface AgentHttpServer {
  server: Server;
  /** Resolves with the base URL once listening. */
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
  readonly stats: { requests: number; errors4xx: number; errors5xx: number; timeouts: number };
}

const kDeadline = Symbol("requestDeadline");
type TrackedSocket = Socket & { [kDeadline]?: NodeJS.Timeout | undefined };

const rawJsonResponse = (status: number, reason: string, message: string) => {
  const body = `${JSON.stringify({ error: message, status })}\n`;
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
};

/**
 * Only an origin-form target (`/path?query`) is routed, and only to the path it spells: an
 * absolute-form (`http://x/status`), `*`, a scheme-relative `//host/…` or a backslash (which URL
 * parsing would read as a host or a separator) is a 400, and a `.`/`..` segment (plain or
 * %-encoded, which URL parsing would resolve to another route) is a 404 for the path as sent.
 */
export function targetProblem(target: string): { status: 400 | 404; message: string } | null {
  const shown = JSON.stringify(target.slice(0, 80));
  if (!target.startsWith("/") || target.startsWith("//") || target.includes("\\"))
    return { status: 400, message: `expected a request path like /status, got ${shown}` };
  const path = target.split("?", 1)[0] as string;
  for (const seg of path.split("/")) {
    const d = seg.replace(/%2e/gi, ".");
    if (d === "." || d === "..") return { status: 404, message: `no such path: ${path.slice(0, 200)}` };
  }
  return null;
}

/**
 * The agent's HTTP server. Routes come from every module's routes() and are looked up by exact path
 * in a table built once at startup. Limits: request head size (431), body size (413), a deadline for
 * receiving each request (408, slowloris), an idle timeout for connections (slow readers), and a cap
 * on connections. No timer runs while no connection is open. A handler's failure is a JSON 500;
 * a request can never stop the agent.
 */
export function createHttpServer(opts: HttpServerOptions): AgentHttpServer {
  const { http, log } = opts;
  const guard = opts.guard ?? new ControlGuard(http.token);
  const table = new Map<string, Map<string, Route>>();
  const prefixes = new Map<string, Map<string, Route>>();
  for (const r of opts.routes) {
    const into = r.prefix ? prefixes : table;
    let byMethod = into.get(r.path);
    if (!byMethod) {
      byMethod = new Map();
      into.set(r.path, byMethod);
    }
    if (byMethod.has(r.method)) {
      log.warn("duplicate route ignored", { method: r.method, path: r.path });
      continue;
    }
    byMethod.set(r.method, r);
  }
  const stats = { requests: 0, errors4xx: 0, errors5xx: 0, timeouts: 0 };

  const server = createServer({
    maxHeaderSize: http.max_header_bytes,
    // Node's own request/headers timeouts need a 30 s interval timer that wakes an idle agent;
    // the per-connection deadline below does the same job only while a connection is open.
    requestTimeout: 0,
    headersTimeout: 0,
    connectionsCheckingInterval: 2_147_483_647,
    keepAliveTimeout: http.keep_alive_timeout,
  });
  server.maxConnections = http.max_connections;
  server.maxRequestsPerSocket = 1000;

  const armDeadline = (socket: TrackedSocket) => {
    if (socket[kDeadline]) clearTimeout(socket[kDeadline]);
    socket[kDeadline] = setTimeout(() => {
      socket[kDeadline] = undefined;
      if (socket.destroyed) return;
      stats.timeouts++;
      socket.end(
        rawJsonResponse(408, "Request Timeout", `request not received within ${http.request_timeout / 1000} s`),
      );
      socket.destroySoon();
    }, http.request_timeout);
  };
  const clearDeadline = (socket: TrackedSocket) => {
    if (socket[kDeadline]) clearTimeout(socket[kDeadline]);
    socket[kDeadline] = undefined;
  };

  server.on("connection", (socket: TrackedSocket) => {
    socket.setTimeout(http.idle_timeout, () => socket.destroy());
    socket.once("close", () => clearDeadline(socket));
    armDeadline(socket);
  });

  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    clearDeadline(socket as TrackedSocket);
    if (!socket.writable || (err.code === "ECONNRESET" && !socket.readable)) {
      socket.destroy();
      return;
    }
    stats.errors4xx++;
    const msg =
      err.code === "HPE_HEADER_OVERFLOW"
        ? rawJsonResponse(431, "Request Header Fields Too Large", `request head over ${http.max_header_bytes} bytes`)
        : rawJsonResponse(400, "Bad Request", `malformed HTTP request (${err.code ?? err.message})`);
    socket.end(msg);
    socket.destroySoon();
  });

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    stats.requests++;
    const socket = req.socket as TrackedSocket;
    // Node resets a kept-alive socket's timeout to none when its next request starts: re-apply ours,
    // so a reader that stalls mid-download is cut off on every request, not only the first.
    socket.setTimeout(http.idle_timeout);
    res.once("finish", () => {
      if (res.statusCode >= 500) stats.errors5xx++;
      else if (res.statusCode >= 400) stats.errors4xx++;
      if (!socket.destroyed && !res.hasHeader("connection")) armDeadline(socket);
    });
    handle(req, res).catch((err: unknown) => {
      log.error("request failed", { path: req.url, error: (err as Error)?.message });
      if (!res.headersSent) sendError(res, 500, "internal error");
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const socket = req.socket as TrackedSocket;
    const target = req.url ?? "";
    const problem = targetProblem(target);
    if (problem) {
      drain(req, socket);
      sendError(res, problem.status, problem.message);
      return;
    }
    let url: URL;
    try {
      url = new URL(target, "http://agent.invalid");
    } catch {
      drain(req, socket);
      sendError(res, 400, `expected a request path like /status, got ${JSON.stringify(String(req.url).slice(0, 80))}`);
      return;
    }
    let byMethod = table.get(url.pathname);
    if (!byMethod) {
      let best = "";
      for (const [p, m] of prefixes) {
        if (url.pathname.startsWith(p) && p.length > best.length) [best, byMethod] = [p, m];
      }
    }
    if (!byMethod) {
      drain(req, socket);
      sendError(res, 404, `no such path: ${url.pathname.slice(0, 200)}`);
      return;
    }
    const method = req.method === "HEAD" ? "GET" : (req.method ?? "");
    const route = byMethod.get(method);
    if (!route) {
      drain(req, socket);
      const allow = [...byMethod.keys()].flatMap((m) => (m === "GET" ? ["GET", "HEAD"] : [m])).join(", ");
      sendError(res, 405, `method ${req.method} not allowed on ${url.pathname}; expected ${allow}`, { Allow: allow });
      return;
    }
    if (route.control) {
      const verdict = guard.check(req);
      if (!verdict.ok) {
        drain(req, socket);
        const headers: Record<string, string> = {};
        if (verdict.status === 401) headers["WWW-Authenticate"] = 'Bearer realm="edgewatch"';
        if (verdict.retryAfterSeconds !== undefined) headers["Retry-After"] = String(verdict.retryAfterSeconds);
        try {
          await route.onRejected?.(req, verdict.status, verdict.message); // audited before the answer
        } catch (err) {
          log.error(`audit of a refused control request failed: ${(err as Error).message}`);
        }
        sendError(res, verdict.status, verdict.message, headers);
        return;
      }
    }
    let body: unknown;
    try {
      if (route.method === "GET") drain(req, socket);
      else body = await readBody(req, socket, http.max_body_bytes, route.rawBody);
    } catch (err) {
      if (err instanceof HttpError) {
        sendError(res, err.status, err.message, { Connection: "close", ...err.headers }, err.code);
        res.once("finish", () => socket.destroySoon());
        return;
      }
      throw err;
    }
    try {
      await route.handle(req, res, url, body);
    } catch (err) {
      if (err instanceof HttpError) {
        if (!res.headersSent) sendError(res, err.status, err.message, err.headers, err.code);
        else res.destroy();
        return;
      }
      throw err;
    }
  }

  /** Discard a request body we are not going to read, and mark the request received. */
  function drain(req: IncomingMessage, socket: TrackedSocket): void {
    if (req.complete) clearDeadline(socket);
    else req.once("end", () => clearDeadline(socket));
    req.resume();
  }

  function readBody(req: IncomingMessage, socket: TrackedSocket, limit: number, raw?: boolean): Promise<unknown> {
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > limit) {
      req.resume();
      return Promise.reject(new HttpError(413, `request body of ${declared} bytes is over the ${limit}-byte limit`));
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      req.on("data", (c: Buffer) => {
        if (failed) return;
        size += c.length;
        if (size > limit) {
          failed = true;
          reject(new HttpError(413, `request body is over the ${limit}-byte limit`));
          return;
        }
        chunks.push(c);
      });
      req.once("end", () => {
        clearDeadline(socket);
        if (failed) return;
        if (raw) return resolve(Buffer.concat(chunks));
        if (size === 0) return resolve(undefined);
        const text = Buffer.concat(chunks).toString("utf8");
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new HttpError(400, `body: expected JSON, got ${JSON.stringify(text.slice(0, 60))}`));
        }
      });
      req.once("error", reject);
    });
  }

  return {
    server,
    stats,
    listen(port = http.port, host = http.bind) {
      return new Promise((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        server.once("error", onError);
        server.listen({ port, host, backlog: 511 }, () => {
          server.off("error", onError);
          const addr = server.address();
          if (addr === null || typeof addr === "string") return resolve(`http://${host}`);
          const h = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
          resolve(`http://${h === "0.0.0.0" ? "127.0.0.1" : h === "[::]" ? "[::1]" : h}:${addr.port}`);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
