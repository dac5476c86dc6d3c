// Local HTTP servers that enforce the real services' contracts (path, method, body fields, length
// limits, 429 with retry_after, 5xx), as documented by each service (see /work/shared/REAL-TOOLS.md).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestContext } from "node:test";

export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: a received body is whatever the client sent; tests inspect its fields
  json?: any;
}

/** A scripted fault for the next request(s): an HTTP status with the service's own error body. */
export type Fault = { status: number; retryAfter?: number } | "reset";

export interface ContractServer {
  url: string;
  port: number;
  /** Requests the service accepted (2xx). */
  accepted: Received[];
  /** Every request, accepted or not. */
  all: Received[];
  /** Faults answered to the next requests, in order. */
  faults: Fault[];
  close(): Promise<void>;
  /** Close the listening socket (the service is "down"); `up()` listens again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
}

type Handler = (r: Received, res: ServerResponse, fault: Fault | undefined) => boolean;

/** Answers with JSON; returns false (not accepted) so a handler can `return json(...)` on refusal. */
function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): false {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(value));
  return false;
}

function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): false {
  res.writeHead(status, { "content-type": "text/plain", ...headers });
  res.end(body);
  return false;
}

async function serve(t: TestContext, handler: Handler, port = 0): Promise<ContractServer> {
  const cs: ContractServer = {
    url: "",
    port,
    accepted: [],
    all: [],
    faults: [],
    close: async () => {},
    down: async () => {},
    up: async () => {},
  };
  let server: Server;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          const r: Received = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body };
          try {
            r.json = JSON.parse(body);
          } catch {}
          cs.all.push(r);
          const fault = cs.faults.shift();
          if (fault === "reset") {
            req.socket.destroy();
            return;
          }
          if (handler(r, res, fault)) cs.accepted.push(r);
        });
      });
      server.keepAliveTimeout = 100;
      server.listen(cs.port, "127.0.0.1", () => {
        cs.port = (server.address() as AddressInfo).port;
        cs.url = `http://127.0.0.1:${cs.port}`;
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  await listen();
  let isUp = true;
  cs.close = async () => {
    if (isUp) await close();
    isUp = false;
  };
  cs.down = async () => {
    if (isUp) await close();
    isUp = false;
  };
  cs.up = async () => {
    if (!isUp) await listen();
    isUp = true;
  };
  t.after(() => cs.close());
  return cs;
}

const isJson = (r: Received) => String(r.headers["content-type"] ?? "").startsWith("application/json");

/** Telegram Bot API sendMessage: POST /bot<token>/sendMessage, JSON {chat_id, text ≤ 4096}. */
export function telegramServer(t: TestContext, token = "123456:TEST-token_x"): Promise<ContractServer> {
  return serve(t, (r, res, fault) => {
    if (r.method !== "POST") return json(res, 405, { ok: false, error_code: 405, description: "Method Not Allowed" });
    if (r.path !== `/bot${token}/sendMessage`) {
      return json(res, r.path.startsWith("/bot") ? 401 : 404, {
        ok: false,
        error_code: 401,
        description: "Unauthorized",
      });
    }
    if (fault && fault !== "reset" && fault.status === 429) {
      const ra = fault.retryAfter ?? 1;
      return json(res, 429, {
        ok: false,
        error_code: 429,
        description: `Too Many Requests: retry after ${ra}`,
        parameters: { retry_after: ra },
      });
    }
    if (fault && fault !== "reset")
      return json(res, fault.status, { ok: false, error_code: fault.status, description: "Internal Server Error" });
    if (!isJson(r) || !r.json)
      return json(res, 400, { ok: false, error_code: 400, description: "Bad Request: message text is empty" });
    const { chat_id, text: msg } = r.json;
    if (chat_id === undefined)
      return json(res, 400, { ok: false, error_code: 400, description: "Bad Request: chat_id is empty" });
    if (typeof msg !== "string" || msg.length === 0)
      return json(res, 400, { ok: false, error_code: 400, description: "Bad Request: message text is empty" });
    if ([...msg].length > 4096)
      return json(res, 400, { ok: false, error_code: 400, description: "Bad Request: message is too long" });
    json(res, 200, { ok: true, result: { message_id: 1, date: 0, chat: { id: chat_id }, text: msg } });
    return true;
  });
}

/** Discord webhook: POST /api/webhooks/<id>/<token>, JSON {content ≤ 2000}; 204 (200 with ?wait=true). */
export function discordServer(t: TestContext): Promise<ContractServer> {
  return serve(t, (r, res, fault) => {
    const u = new URL(r.path, "http://x");
    if (!/^\/api\/webhooks\/\d+\/[\w-]+$/.test(u.pathname))
      return json(res, 404, { message: "Unknown Webhook", code: 10015 });
    if (r.method !== "POST") return json(res, 405, { message: "405: Method Not Allowed", code: 0 });
    if (fault && fault !== "reset" && fault.status === 429) {
      const ra = fault.retryAfter ?? 0.5;
      return json(
        res,
        429,
        { message: "You are being rate limited.", retry_after: ra, global: false },
        { "retry-after": String(Math.ceil(ra)) },
      );
    }
    if (fault && fault !== "reset") return json(res, fault.status, { message: "Internal Server Error", code: 0 });
    if (!isJson(r) || !r.json) return json(res, 400, { message: "Cannot send an empty message", code: 50006 });
    const c = r.json.content;
    if (typeof c !== "string" || c.length === 0)
      return json(res, 400, { message: "Cannot send an empty message", code: 50006 });
    if (c.length > 2000) return json(res, 400, { content: ["Must be 2000 or fewer in length."] });
    if (u.searchParams.get("wait") === "true") json(res, 200, { id: "1", content: c });
    else {
      res.writeHead(204);
      res.end();
    }
    return true;
  });
}

/** Slack incoming webhook: POST /services/T../B../..., JSON {text}; 200 "ok"; errors as plain text. */
export function slackServer(t: TestContext): Promise<ContractServer> {
  return serve(t, (r, res, fault) => {
    if (!/^\/services\/T\w+\/B\w+\/\w+$/.test(r.path)) return text(res, 404, "no_service");
    if (r.method !== "POST") return text(res, 405, "invalid_method");
    if (fault && fault !== "reset" && fault.status === 429)
      return text(res, 429, "rate_limited", { "retry-after": String(fault.retryAfter ?? 1) });
    if (fault && fault !== "reset") return text(res, fault.status, "internal_error");
    if (!r.json) return text(res, 400, "invalid_payload");
    if (typeof r.json.text !== "string" || r.json.text === "") return text(res, 400, "no_text");
    if (r.json.text.length > 40_000) return text(res, 400, "msg_too_long");
    text(res, 200, "ok");
    return true;
  });
}

/** ntfy publish: POST /<topic>, message body (≤ 4096 bytes, else it becomes an attachment), Title/Priority/Tags headers. */
export function ntfyServer(t: TestContext): Promise<ContractServer> {
  return serve(t, (r, res, fault) => {
    const topic = r.path.slice(1);
    if (r.method !== "POST" && r.method !== "PUT")
      return json(res, 405, { code: 40501, http: 405, error: "method not allowed" });
    if (!/^[-_A-Za-z0-9]{1,64}$/.test(topic)) return json(res, 400, { code: 40009, http: 400, error: "invalid topic" });
    if (fault && fault !== "reset" && fault.status === 429) {
      return json(
        res,
        429,
        { code: 42901, http: 429, error: "limit reached: too many requests" },
        { "retry-after": String(fault.retryAfter ?? 1) },
      );
    }
    if (fault && fault !== "reset")
      return json(res, fault.status, { code: 50001, http: fault.status, error: "internal server error" });
    const p = r.headers.priority;
    if (p !== undefined && !/^[1-5]$/.test(String(p)))
      return json(res, 400, { code: 40007, http: 400, error: "invalid priority" });
    if (Buffer.byteLength(r.body) > 4096)
      return json(res, 413, { code: 41301, http: 413, error: "message too large (would become an attachment)" });
    json(res, 200, {
      id: "abc",
      time: 0,
      event: "message",
      topic,
      message: r.body,
      title: r.headers.title,
      priority: Number(p ?? 3),
    });
    return true;
  });
}

/** A generic webhook receiver (seed 000's Home Assistant style): POST /hook with the documented JSON. */
export function webhookServer(t: TestContext, port = 0): Promise<ContractServer> {
  return serve(
    t,
    (r, res, fault) => {
      if (r.path !== "/hook") return text(res, 404, "not found");
      if (r.method !== "POST") return text(res, 405, "method not allowed");
      if (fault && fault !== "reset")
        return text(res, fault.status, "fault", fault.retryAfter ? { "retry-after": String(fault.retryAfter) } : {});
      const b = r.json;
      for (const k of ["message", "level", "device_id", "site", "timestamp"]) {
        if (typeof b?.[k] !== "string" || b[k] === "") return text(res, 422, `missing ${k}`);
      }
      json(res, 200, { received: true });
      return true;
    },
    port,
  );
}
