import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** One encoding of one asset, loaded once at startup. */
interface Variant {
  encoding: "br" | "gzip" | "identity";
  body: Buffer;
  etag: string;
}

export interface Asset {
  /** URL path, e.g. "/" or "/assets/app-3F2A.js". */
  path: string;
  type: string;
  cacheControl: string;
  variants: Variant[];
  /** Content-Security-Policy of an HTML page (computed once at load). */
  csp?: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
};

/** Hashed files never change: cache them for a year. index.html is revalidated every time (ETag → 304). */
const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";

/**
 * Where the built pages are: $EDGEWATCH_WEB_DIR, else dist/web next to the bundled CLI
 * (dist/edgewatch.mjs), else <repo>/dist/web when running from src/ under tsx. The device page is
 * its root; the hub's fleet page is its `fleet/` folder.
 */
export function findWebDir(env = process.env): string | null {
  if (env.EDGEWATCH_WEB_DIR) return env.EDGEWATCH_WEB_DIR;
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [join(here, "web"), join(here, "..", "..", "dist", "web")]) {
    if (existsSync(join(dir, "index.html"))) return dir;
  }
  return null;
}

/**
 * Loads every file of one built page (and its .br/.gz copies) into memory, with ETags. A folder
 * with its own index.html is another page (dist/web/fleet/ beside the device page) and is not loaded.
 */
export function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const file of walk(dir)) {
    if (file.endsWith(".br") || file.endsWith(".gz")) continue;
    const rel = relative(dir, file).split(sep).join("/");
    const type = TYPES[extname(file)];
    if (!type) continue;
    const variants: Variant[] = [];
    for (const [encoding, suffix] of [
      ["br", ".br"],
      ["gzip", ".gz"],
    ] as const) {
      if (existsSync(file + suffix)) variants.push(variant(encoding, readFileSync(file + suffix)));
    }
    variants.push(variant("identity", readFileSync(file)));
    const path = rel === "index.html" ? "/" : `/${rel}`;
    const asset: Asset = { path, type, cacheControl: rel.startsWith("assets/") ? IMMUTABLE : REVALIDATE, variants };
    if (extname(file) === ".html") asset.csp = pageCsp(readFileSync(file, "utf8"));
    assets.set(path, asset);
  }
  if (!assets.has("/")) throw new Error(`${dir} has no index.html: expected the output of scripts/build-web.mjs`);
  return assets;
}

function variant(encoding: Variant["encoding"], body: Buffer): Variant {
  const hash = createHash("sha256").update(body).digest("base64url").slice(0, 22);
  return { encoding, body, etag: `"${hash}${encoding === "identity" ? "" : `-${encoding}`}"` };
}

function* walk(dir: string, top = true): Generator<string> {
  if (!top && existsSync(join(dir, "index.html"))) return;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p, false);
    else yield p;
  }
}

/** Accept-Encoding → the best variant we have (br, then gzip, then identity), honouring q=0. */
export function pickVariant(asset: Asset, acceptEncoding: string | undefined): Variant {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? "").split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    // q=<number 0..1>; a q we cannot read counts as "no" (q=0), never as a yes.
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const q = qParam === undefined ? 1 : /^q=(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(qParam) ? Number(qParam.slice(2)) : 0;
    accepted.set(name, q);
  }
  const ok = (enc: string) => (accepted.get(enc) ?? accepted.get("*") ?? 0) > 0;
  for (const v of asset.variants) {
    if (v.encoding === "identity") return v;
    if (ok(v.encoding)) return v;
  }
  return asset.variants[asset.variants.length - 1] as Variant;
}

/** Content-Security-Policy for a page: its inline <style> blocks are allowed by hash, nothing else inline. */
export function pageCsp(html: string): string {
  const hashes = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map(
    (m) =>
      `'sha256-${createHash("sha256")
        .update(m[1] ?? "")
        .digest("base64")}'`,
  );
  return (
    `default-src 'none'; script-src 'self'; style-src 'self'${hashes.map((h) => ` ${h}`).join("")}; ` +
    "img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
  );
}

export function serveAsset(asset: Asset, req: IncomingMessage, res: ServerResponse): void {
  const v = pickVariant(asset, req.headers["accept-encoding"]);
  const headers: Record<string, string | number> = {
    "Content-Type": asset.type,
    "Cache-Control": asset.cacheControl,
    ETag: v.etag,
    Vary: "Accept-Encoding",
    "X-Content-Type-Options": "nosniff",
  };
  if (asset.csp) {
    headers["Content-Security-Policy"] = asset.csp;
    headers["Referrer-Policy"] = "no-referrer";
  }
  if (v.encoding !== "identity") headers["Content-Encoding"] = v.encoding;
  const inm = req.headers["if-none-match"];
  if (inm?.split(",").some((t) => t.trim().replace(/^W\//, "") === v.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  headers["Content-Length"] = v.body.length;
  res.writeHead(200, headers);
  res.end(req.method === "HEAD" ? undefined : v.body);
}
