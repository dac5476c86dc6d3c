import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Asset, findWebDir, loadAssets, serveAsset } from "../http/assets.ts";
import { authorizeAdmin, authorizeRead } from "./auth.ts";
import type { HubContext } from "./context.ts";
import { HttpError, type Route, sendBody, sendJson } from "./shared.ts";

/** The built fleet page: <web dir>/fleet (scripts/build-web.mjs), or why it cannot be served. */
function fleetAssets(webDir: string | null): { assets: Map<string, Asset>; missing: string | null } {
  const dir = webDir ? join(webDir, "fleet") : null;
  if (!dir || !existsSync(join(dir, "index.html"))) {
    return {
      assets: new Map(),
      missing: `the fleet page is not built${dir ? ` (no index.html in ${dir})` : ""}: run \`node scripts/build.mjs\` (or set EDGEWATCH_WEB_DIR)`,
    };
  }
  try {
    return { assets: loadAssets(dir), missing: null };
  } catch (err) {
    return { assets: new Map(), missing: `the fleet page is unusable: ${(err as Error).message}` };
  }
}

/** The plain-text overview (`GET /?format=text`): counts and one line per device. */
function textOverview(k: HubContext): string {
  const c = k.liveness.counts();
  const rows = [...k.liveness.devices.values()].map((l) => k.fleet.view(l.row));
  return `${[
    `edgewatch hub — ${rows.length} devices: ${c.up} up, ${c.late} late, ${c.down} down`,
    ...rows.map((d) => `${d.state.padEnd(5)} ${d.id} (${d.site}) last seen ${d.last_seen ?? "never"}`),
  ].join("\n")}\n`;
}

/**
 * The fleet page at `/` and its hashed assets under `/assets/` (held in memory, precompressed,
 * ETag + immutable caching, a strict CSP). The page carries no data: it reads the JSON API with the
 * token the visitor gives it, so it is served without one. `/?format=text` is the plain-text overview;
 * `/api/v1/whoami` tells the page what its token may do.
 */
export function pageRoutes(k: HubContext, webDir = findWebDir()): Route[] {
  const { assets, missing } = fleetAssets(webDir);
  if (missing) k.log.warn(missing);
  const asset = (path: string) => {
    const a = assets.get(path);
    if (a) return a;
    if (missing) throw new HttpError(503, missing);
    throw new HttpError(404, `no such path: ${path.slice(0, 200)}`);
  };
  return [
    {
      method: "GET",
      path: "/",
      handle(req, res, url) {
        if (url.searchParams.get("format") === "text") {
          authorizeRead(k, req);
          return sendBody(res, 200, textOverview(k), "text/plain; charset=utf-8");
        }
        serveAsset(asset("/"), req, res);
      },
    },
    {
      method: "GET",
      path: "/assets/",
      prefix: true,
      handle(req, res, url) {
        serveAsset(asset(url.pathname), req, res);
      },
    },
    {
      // What the caller's token may do, so the page can ask for a token (or hide the admin controls)
      // instead of being refused.
      method: "GET",
      path: "/api/v1/whoami",
      handle(req, res) {
        const allowed = (check: typeof authorizeRead) => {
          try {
            check(k, req);
            return true;
          } catch {
            return false;
          }
        };
        const write = allowed(authorizeAdmin);
        const read = write || allowed(authorizeRead);
        sendJson(res, 200, { read, write });
      },
    },
  ];
}
