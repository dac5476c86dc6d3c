import { createHash, randomBytes, randomUUID } from "node:crypto";
import { z } from "zod";
import { parseDuration } from "../config/kit.ts";
import type { ShareView } from "./api-types.ts";
import { HttpError, parse, type Route, sendJson } from "./shared.ts";
import type { ShareRow } from "./store/fleet.ts";
import type { HubStore } from "./store/types.ts";

const hash = (t: string) => createHash("sha256").update(t).digest("hex");
const MAX_SHARES = 1000;
type Write = (m: "POST" | "DELETE", p: string, fn: Route["handle"], prefix?: boolean) => Route;

const shareBody = z.strictObject({
  label: z.string().min(1).max(200),
  expires_in: z.string().max(20).optional(),
});

export const shareView = (s: ShareRow): ShareView => ({
  id: s.id,
  label: s.label,
  created_at: new Date(s.created_at).toISOString(),
  expires_at: s.expires_at === null ? null : new Date(s.expires_at).toISOString(),
});

/**
 * Read-only share links: a bearer token that reads like the viewer token, stored only as its SHA-256,
 * optionally expiring. The page takes it from `#share=<token>` and sends it as Authorization: Bearer.
 */
export class Shares {
  private rows: ShareRow[] = [];

  constructor(private readonly k: { readonly store: HubStore }) {}

  async load(): Promise<void> {
    this.rows = await this.k.store.fleet.listShares();
  }

  valid(token: string, now: number): boolean {
    const h = hash(token);
    return this.rows.some((s) => s.token_hash === h && (s.expires_at === null || now < s.expires_at));
  }

  /** `adminRead` is a GET that needs the admin token (the list shows who has links). */
  routes(write: Write, adminRead: (p: string, fn: Route["handle"]) => Route): Route[] {
    return [
      adminRead("/api/v1/shares", (_req, res) => sendJson(res, 200, this.rows.map(shareView))),
      write("POST", "/api/v1/shares", async (req, res, _url, body) => {
        const b = parse(shareBody, body, "share");
        const now = Date.now();
        let expires: number | null = null;
        if (b.expires_in !== undefined) {
          const ms = parseDuration(b.expires_in);
          if (ms === null || ms <= 0)
            throw new HttpError(
              400,
              `share: expires_in: expected a duration like "7d", got ${JSON.stringify(b.expires_in)}`,
            );
          expires = now + ms;
        }
        if (this.rows.length >= MAX_SHARES)
          throw new HttpError(409, `share: at most ${MAX_SHARES} share links; delete one first`);
        const token = `ews_${randomBytes(24).toString("base64url")}`;
        const row: ShareRow = {
          id: randomUUID(),
          label: b.label,
          token_hash: hash(token),
          created_at: now,
          expires_at: expires,
        };
        await this.k.store.fleet.putShare(row);
        this.rows.push(row);
        const base = `http://${req.headers.host ?? "hub"}`;
        sendJson(res, 201, { ...shareView(row), token, url: `${base}/#share=${token}` });
      }),
      write(
        "DELETE",
        "/api/v1/shares/",
        async (_req, res, url) => {
          const id = decodeURIComponent(url.pathname.slice("/api/v1/shares/".length));
          if (!(await this.k.store.fleet.deleteShare(id))) throw new HttpError(404, `no share ${JSON.stringify(id)}`);
          this.rows = this.rows.filter((s) => s.id !== id);
          sendJson(res, 200, { removed: id });
        },
        true,
      ),
    ];
  }
}
