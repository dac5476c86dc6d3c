import assert from "node:assert/strict";
import { test } from "node:test";
import { validateConfig } from "../../../src/agent/config.ts";
import type { Logger, Route } from "../../../src/agent/module.ts";
import { ControlGuard } from "../../../src/http/auth.ts";
import { HttpError, sendJson } from "../../../src/http/respond.ts";
import { createHttpServer } from "../../../src/http/server.ts";
import { get } from "./helpers.ts";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

async function serve(t: import("node:test").TestContext, routes: Route[], token?: string) {
  const config = validateConfig({ http: { max_body_bytes: 256, ...(token ? { token } : {}) } }, "test", {});
  const s = createHttpServer({ http: config.http, routes, log: quiet });
  const url = await s.listen(0, "127.0.0.1");
  t.after(() => s.close());
  return url;
}

const echo: Route = {
  method: "POST",
  path: "/echo",
  handle(_req, res, _url, body) {
    sendJson(res, 200, { got: body ?? null });
  },
};
const control: Route = {
  method: "POST",
  path: "/api/camera/test",
  control: true,
  handle(_req, res) {
    sendJson(res, 200, { ok: true });
  },
};

test("POST bodies: JSON parsed and handed to the route; bad JSON 400; over the limit 413", async (t) => {
  const url = await serve(t, [echo]);
  const ok = await get(`${url}/echo`, { "Content-Type": "application/json" }, "POST", '{"a":1}');
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json(), { got: { a: 1 } });
  const empty = await get(`${url}/echo`, {}, "POST");
  assert.deepEqual(empty.json(), { got: null });
  const bad = await get(`${url}/echo`, { "Content-Type": "application/json" }, "POST", "{nope");
  assert.equal(bad.status, 400);
  assert.match(bad.json<{ error: string }>().error, /body: expected JSON, got "\{nope"/);
  const big = await get(`${url}/echo`, {}, "POST", "x".repeat(1000));
  assert.equal(big.status, 413);
  assert.match(big.json<{ error: string }>().error, /1000 bytes is over the 256-byte limit/);
});

test("a route that throws is a JSON 500 and the server keeps serving; HttpError keeps its status", async (t) => {
  const url = await serve(t, [
    {
      method: "GET",
      path: "/boom",
      handle() {
        throw new Error("kaboom");
      },
    },
    {
      method: "GET",
      path: "/teapot",
      async handle() {
        throw new HttpError(418, "expected coffee, got tea");
      },
    },
    { method: "GET", path: "/ok", handle: (_q, res) => sendJson(res, 200, { ok: true }) },
  ]);
  const boom = await get(`${url}/boom`);
  assert.equal(boom.status, 500);
  assert.deepEqual(boom.json(), { error: "internal error", status: 500 });
  const tea = await get(`${url}/teapot`);
  assert.equal(tea.status, 418);
  assert.equal(tea.json<{ error: string }>().error, "expected coffee, got tea");
  assert.equal((await get(`${url}/ok`)).status, 200);
});

test("control routes: 403 JSON until a token is configured", async (t) => {
  const url = await serve(t, [control]);
  const r = await get(`${url}/api/camera/test`, { Authorization: "Bearer whatever-token-123" }, "POST");
  assert.equal(r.status, 403);
  assert.match(r.json<{ error: string }>().error, /control is disabled: set http.token/);
});

test("control routes: 401 JSON for missing or wrong tokens, 429 with Retry-After after repeated bad tokens", async (t) => {
  const token = "s3cret-token-0123456789";
  const url = await serve(t, [control], token);
  const none = await get(`${url}/api/camera/test`, {}, "POST");
  assert.equal(none.status, 401);
  assert.equal(none.headers["www-authenticate"], 'Bearer realm="edgewatch"');
  assert.match(none.json<{ error: string }>().error, /missing bearer token/);
  const good = await get(`${url}/api/camera/test`, { Authorization: `Bearer ${token}` }, "POST");
  assert.equal(good.status, 200);
  assert.deepEqual(good.json(), { ok: true });
  let last = none;
  for (let i = 0; i < 6; i++)
    last = await get(`${url}/api/camera/test`, { Authorization: "Bearer wrong-token-xxxxxxxx" }, "POST");
  assert.equal(last.status, 429);
  assert.ok(Number(last.headers["retry-after"]) > 0);
  assert.match(last.json<{ error: string }>().error, /too many bad tokens/);
  // a blocked address stays blocked even with the right token until Retry-After passes
  assert.equal((await get(`${url}/api/camera/test`, { Authorization: `Bearer ${token}` }, "POST")).status, 429);
});

test("ControlGuard unit: constant-time check, per-address block window", () => {
  let now = 1_000_000;
  const g = new ControlGuard("abcdefghijklmnopqrst", () => now);
  const req = (auth?: string) =>
    ({ headers: auth ? { authorization: auth } : {}, socket: { remoteAddress: "10.0.0.9" } }) as never;
  assert.deepEqual(g.check(req("Bearer abcdefghijklmnopqrst")), { ok: true });
  for (let i = 0; i < 5; i++) assert.equal(g.check(req("Bearer nope")).ok, false);
  const blocked = g.check(req("Bearer abcdefghijklmnopqrst"));
  assert.equal(blocked.ok, false);
  assert.equal(!blocked.ok && blocked.status, 429);
  now += 61_000;
  assert.deepEqual(g.check(req("Bearer abcdefghijklmnopqrst")), { ok: true });
});

test("ControlGuard: bad tokens from thousands of other addresses do not lift a block", () => {
  const now = 1_000_000;
  const g = new ControlGuard("abcdefghijklmnopqrst", () => now);
  const from = (addr: string, auth: string) =>
    ({ headers: { authorization: auth }, socket: { remoteAddress: addr } }) as never;
  for (let i = 0; i < 5; i++) g.check(from("10.0.0.9", "Bearer nope"));
  for (let i = 0; i < 12_000; i++) g.check(from(`10.1.${i >> 8}.${i & 255}`, "Bearer nope"));
  const r = g.check(from("10.0.0.9", "Bearer abcdefghijklmnopqrst"));
  assert.equal(!r.ok && r.status, 429, "still blocked");
});
