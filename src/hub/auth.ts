import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { HubContext } from "./context.ts";
import { HttpError } from "./shared.ts";

const h = (s: string) => createHash("sha256").update(s).digest();

export function bearerOf(req: IncomingMessage): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  return m?.[1] ?? null;
}

export function tokenIs(req: IncomingMessage, token: string | undefined): boolean {
  const given = bearerOf(req);
  return !!token && given !== null && timingSafeEqual(h(given), h(token));
}

/** Reads need viewer_token, a share token or admin_token when a viewer_token is set; with none, reads are open. */
export function authorizeRead(k: HubContext, req: IncomingMessage): void {
  const { viewer_token, admin_token } = k.config;
  if (!viewer_token) return;
  if (tokenIs(req, viewer_token) || tokenIs(req, admin_token)) return;
  const given = bearerOf(req);
  if (given && k.shares.valid(given, Date.now())) return;
  throw new HttpError(401, "reads need Authorization: Bearer <viewer_token> (or a share token)", {
    "WWW-Authenticate": 'Bearer realm="edgewatch-hub"',
  });
}

/** Writes always need admin_token; with none configured they are refused. */
export function authorizeAdmin(k: HubContext, req: IncomingMessage): void {
  if (!k.config.admin_token) throw new HttpError(403, "writes are disabled: set admin_token in the hub config");
  if (!tokenIs(req, k.config.admin_token)) {
    throw new HttpError(401, "writes need Authorization: Bearer <admin_token>", {
      "WWW-Authenticate": 'Bearer realm="edgewatch-hub"',
    });
  }
}

/** Who did an admin write, for the audit log. */
export const actorOf = (req: IncomingMessage) => `admin@${req.socket.remoteAddress ?? "?"}`;
