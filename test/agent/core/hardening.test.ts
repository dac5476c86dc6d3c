import assert from "node:assert/strict";
import { closeSync, openSync, writeFileSync, writeSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { get, startTestAgent, until } from "./helpers.ts";

/** Send raw bytes, collect whatever comes back until the server closes (or `waitMs` passes). */
function raw(url: string, data: string | Buffer, opts: { waitMs?: number; end?: boolean } = {}): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve(Buffer.concat(chunks).toString("latin1"));
    }, opts.waitMs ?? 30_000);
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("latin1"));
    });
    s.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNRESET" || err.code === "EPIPE") return;
      clearTimeout(timer);
      reject(err);
    });
    s.write(data, () => {
      if (opts.end) s.end();
    });
  });
}

test("a corpus of bad requests gets 4xx JSON answers and the agent keeps serving /health", async (t) => {
  const a = await startTestAgent(t, {
    files: { logs: [{ path: "/nonexistent/app.log", name: "app" }] },
    http: { request_timeout: 1, max_header_bytes: 4096, max_body_bytes: 1024, token: "0123456789abcdef0123" },
  });
  writeFileSync(join(a.dir, "secret.txt"), "root:x:0:0");
  const cases: [string, string, number, RegExp][] = [
    ["GET", "/nope", 404, /no such path: \/nope/],
    ["GET", "/status/", 404, /no such path/],
    ["GET", "/STATUS", 404, /no such path/],
    ["GET", "/../../etc/passwd", 404, /no such path/],
    ["GET", "/latest/photo/../../../etc/passwd", 404, /no such path/],
    ["GET", "/%2e%2e/%2e%2e/etc/passwd", 404, /no such path/],
    ["GET", "/latest/..%2f..%2f..%2fetc%2fpasswd", 404, /no such path/],
    ["GET", `/latest/photo?file=${encodeURIComponent(join(a.dir, "secret.txt"))}`, 404, /no photo location configured/],
    ["POST", "/status", 405, /method POST not allowed on \/status; expected GET, HEAD/],
    ["DELETE", "/health", 405, /not allowed/],
    ["PUT", "/metrics", 405, /not allowed/],
    ["GET", "/logs?lines=-1", 400, /lines: expected an integer from 1 to 10000, got "-1"/],
    ["GET", "/logs?lines=1e12", 400, /lines: expected an integer from 1 to 10000, got "1e12"/],
    ["GET", "/logs?lines=99999999999999", 400, /lines: expected an integer/],
    ["GET", "/logs?lines=abc", 400, /lines: expected an integer/],
    ["GET", "/logs?lines=1&lines=2", 400, /lines: expected one value, got 2/],
    [
      "GET",
      "/logs?level=../../etc",
      400,
      /level: expected one of debug\|info\|warning\|error\|critical, got "..\/..\/etc"/,
    ],
    ["GET", "/logs?file=../../etc/passwd", 400, /file: expected one of app, got/],
    ["GET", "/api/logs/recent?type=../../x", 400, /type: expected one of errors\|camera\|all/],
    ["GET", "/api/logs/recent?limit=0", 400, /limit: expected an integer from 1 to 1000, got "0"/],
    ["GET", "/api/metrics/history?hours=abc", 400, /hours: expected a number/],
    ["GET", "/api/metrics/history?hours=-5", 400, /hours: expected a number/],
    ["GET", "/api/metrics/history?hours=1e400", 400, /hours: expected a number/],
  ];
  for (const [method, path, status, msg] of cases) {
    const r = await get(`${a.url}${path}`, {}, method);
    assert.equal(r.status, status, `${method} ${path}: ${r.body}`);
    assert.match(String(r.headers["content-type"]), /^application\/json/, `${method} ${path}`);
    const body = r.json<{ error: string }>();
    assert.match(body.error, msg, `${method} ${path}`);
    assert.doesNotMatch(r.body, /root:x/, "no file content leaks");
  }

  // a missing log file is reported, not a crash
  const missing = await get(`${a.url}/logs?lines=5`);
  assert.equal(missing.status, 200);
  assert.match(missing.json<{ files: { error: string }[] }>().files[0]?.error ?? "", /ENOENT/);

  // request head over http.max_header_bytes → 431
  const big = await raw(a.url, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(10_000)}\r\n\r\n`);
  assert.match(big, /^HTTP\/1\.1 431 /);
  assert.match(big, /"error":"request head over 4096 bytes"/);

  // body over http.max_body_bytes on a control route (valid token) → 413 before the handler runs
  const body = await get(
    `${a.url}/api/camera/test`,
    { Authorization: "Bearer 0123456789abcdef0123", "Content-Type": "application/json" },
    "POST",
    JSON.stringify({ pad: "x".repeat(5000) }),
  );
  assert.equal(body.status, 413, body.body);
  assert.match(body.json<{ error: string }>().error, /over the 1024-byte limit/);

  // garbage instead of HTTP → 400
  const garbage = await raw(a.url, "\x16\x03\x01 not http at all\r\n\r\n");
  assert.match(garbage, /^HTTP\/1\.1 400 /);

  // a slow client that never finishes its request head is answered 408 and cut off (request_timeout: 1s)
  const slow = await raw(a.url, "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  assert.match(slow, /^HTTP\/1\.1 408 /);
  assert.match(slow, /request not received within 1 s/);

  // a client that sends half a body and stalls is cut off too
  const stalled = await raw(
    a.url,
    'POST /api/camera/test HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer 0123456789abcdef0123\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":',
  );
  assert.match(stalled, /408 /);

  // ...and the agent still serves
  const h = await get(`${a.url}/health`);
  assert.equal(h.status, 200);
  assert.equal(h.json<{ status: string }>().status, "ok");
  const st = await get(`${a.url}/status`);
  assert.equal(st.status, 200);
  assert.ok(a.runtime.http && a.runtime.http.stats.timeouts >= 2);
});

test("HEAD on a GET route answers headers only; OPTIONS is 405 with Allow", async (t) => {
  const a = await startTestAgent(t);
  const head = await get(`${a.url}/status`, {}, "HEAD");
  assert.equal(head.status, 200);
  assert.equal(head.body, "");
  assert.ok(Number(head.headers["content-length"]) > 10);
  const opt = await get(`${a.url}/status`, {}, "OPTIONS");
  assert.equal(opt.status, 405);
  assert.equal(opt.headers.allow, "GET, HEAD");
});

test("a reader that stalls mid-download is cut off after idle_timeout, on a kept-alive connection's second request too", {
  timeout: 120_000,
}, async (t) => {
  const a = await startTestAgent(t, { http: { idle_timeout: 1, keep_alive_timeout: 30, request_timeout: 30 } });
  const videos = join(a.dir, "videos");
  const { mkdirSync } = await import("node:fs");
  mkdirSync(videos);
  const size = 64 * 1024 * 1024;
  const fd = openSync(join(videos, "big.mp4"), "w");
  writeSync(fd, Buffer.from("END"), 0, 3, size - 3);
  closeSync(fd);
  await a.stop();
  const b = await startTestAgent(t, {
    status_dir: a.statusDir,
    files: { videos: [`${videos}/*.mp4`] },
    http: { idle_timeout: 1, keep_alive_timeout: 30, request_timeout: 30 },
  });
  const { port } = new URL(b.url);
  const { connect } = await import("node:net");
  const s = connect(Number(port), "127.0.0.1");
  t.after(() => s.destroy());
  let received = 0;
  let text = "";
  s.on("data", (c: Buffer) => {
    received += c.length;
    if (text.length < 4096) text += c.toString("latin1");
  });
  s.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  await until("first response", () => text.includes('"status":"ok"'), 30_000);
  // same connection: ask for 64 MiB and stop reading
  s.write("GET /latest/video HTTP/1.1\r\nHost: x\r\n\r\n");
  await until("video headers", () => text.includes("video/mp4"), 30_000);
  s.pause();
  await new Promise((r) => setTimeout(r, 4000));
  const closed = new Promise<void>((r) => s.once("close", () => r()));
  s.resume();
  await closed;
  assert.ok(received < size, `the stalled download was cut off (got ${received} of ${size} bytes)`);
  assert.equal((await get(`${b.url}/health`)).status, 200);
});
