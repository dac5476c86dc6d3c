import type { IncomingMessage, ServerResponse } from "node:http";

/** A route a module serves. `control: true` routes require the bearer token (http.token). */
export interface Route {
  method: "GET" | "POST" | "DELETE";
  /** Exact path, e.g. "/api/alerts"; with `prefix: true`, every path under it ("/ping/" serves /ping/x/y). */
  path: string;
  prefix?: boolean;
  /** Hand the body to `handle` as a Buffer instead of parsing it as JSON. */
  rawBody?: boolean;
  control?: boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL, body?: unknown): void | Promise<void>;
  /** Called when a control route refused a request (401/403/429) before `handle` ran: for audit logs. */
  onRejected?(req: IncomingMessage, status: number, message: string): void | Promise<void>;
}
