import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { validateConfig } from "../../src/agent/config.ts";
import { HttpError, sendJson } from "../../src/http/respond.ts";
import type { Route } from "../../src/http/route.ts";
import { createHttpServer } from "../../src/http/server.ts";
import { ERROR_CODES, errorsMarkdown } from "../../src/protocol/codes.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

test("docs/errors.md is generated from the catalogue (npm run schema) and is current", () => {
  assert.equal(readFileSync(join(ROOT, "docs", "errors.md"), "utf8"), errorsMarkdown(), "run npm run schema");
});

test("every EW_ code written anywhere in src/ is in the catalogue", () => {
  const used = new Set<string>();
  for (const f of sources(join(ROOT, "src")))
    for (const m of readFileSync(f, "utf8").matchAll(/["'`](EW_[A-Z0-9_]+)["'`]/g)) used.add(m[1] as string);
  assert.ok(used.size >= 20, `found the codes (${used.size})`);
  assert.deepEqual(
    [...used].filter((c) => !(c in ERROR_CODES)),
    [],
    "codes missing from src/protocol/codes.ts",
  );
});

test("HTTP error answers carry their code: the server's own refusals and a route's HttpError", async (t) => {
  const busy: Route = {
    method: "POST",
    path: "/busy",
    handle() {
      throw new HttpError(409, "already running");
    },
  };
  const ok: Route = { method: "GET", path: "/ok", handle: (_q, res) => sendJson(res, 200, {}) };
  const config = validateConfig({}, "test", {});
  const s = createHttpServer({ http: config.http, routes: [busy, ok], log: quiet });
  const url = await s.listen(0, "127.0.0.1");
  t.after(() => s.close());
  const cases: [string, string, number, string][] = [
    ["GET", "/nope", 404, "EW_HTTP_NOT_FOUND"],
    ["DELETE", "/ok", 405, "EW_HTTP_METHOD_NOT_ALLOWED"],
    ["POST", "/busy", 409, "EW_HTTP_CONFLICT"],
  ];
  for (const [method, path, status, code] of cases) {
    const r = await fetch(`${url}${path}`, { method });
    const body = (await r.json()) as { error: string; status: number };
    assert.equal(r.status, status, `${method} ${path}`);
    assert.equal(body.status, status);
    assert.ok(body.error.length > 0);
    assert.equal(r.headers.get("x-edgewatch-error-code"), code, `${method} ${path}`);
  }
});
