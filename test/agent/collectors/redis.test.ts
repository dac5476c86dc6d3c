import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { probeRedis, redisCollector } from "../../../src/agent/collectors/redis.ts";
import { validateConfig } from "../../../src/agent/config.ts";
import { parseRedisUrl, parseReply } from "../../../src/lib/redis.ts";
import { freePort, startRedis } from "../../helpers/redis.ts";
import { collectOnce, config } from "./helpers.ts";

test("redis: a real redis-server: up, PING latency, used memory", async (t) => {
  const port = await startRedis(t, ["--maxmemory", "64mb"]);
  if (port === null) return;
  const cfg = config({ redis: { url: `redis://127.0.0.1:${port}` } });
  const c = redisCollector(cfg);
  assert.ok(c);
  const d = await collectOnce(c, cfg);
  assert.equal(d.up, true, String(d.error));
  assert.equal(d.target, `127.0.0.1:${port}`);
  assert.ok(typeof d.ping_seconds === "number" && d.ping_seconds > 0);
  assert.ok(typeof d.used_memory_bytes === "number" && d.used_memory_bytes > 100_000);
  assert.equal(d.maxmemory_bytes, 64 * 1024 * 1024);
  const m = Object.fromEntries((c.metrics?.(d) ?? []).map((f) => [f.name, f.samples[0]?.value]));
  assert.equal(m.edgewatch_redis_up, 1);
  assert.equal(m.edgewatch_redis_maxmemory_bytes, 64 * 1024 * 1024);
});

test("redis: password in the URL is sent with AUTH; a wrong one is reported as down with Redis's answer", async (t) => {
  const port = await startRedis(t, ["--requirepass", "s3cret-pass"]);
  if (port === null) return;
  const ok = await probeRedis(parseRedisUrl(`redis://:s3cret-pass@127.0.0.1:${port}`), 5000);
  assert.equal(ok.up, true, String(ok.error));
  const wrong = await probeRedis(parseRedisUrl(`redis://:nope@127.0.0.1:${port}`), 5000);
  assert.equal(wrong.up, false);
  assert.match(String(wrong.error), /^Redis answered: WRONGPASS/);
  assert.equal(wrong.target, `127.0.0.1:${port}`, "no credentials in the reported target");
  const none = await probeRedis(parseRedisUrl(`redis://127.0.0.1:${port}`), 5000);
  assert.equal(none.up, false);
  assert.match(String(none.error), /NOAUTH/);
});

test("redis: refused connection is 'down' data, not a failed run or a crash", async () => {
  const port = await freePort();
  const cfg = config({ redis: { url: `redis://127.0.0.1:${port}` } });
  const c = redisCollector(cfg);
  assert.ok(c);
  const d = await collectOnce(c, cfg);
  assert.equal(d.up, false);
  assert.match(String(d.error), /ECONNREFUSED/);
  assert.equal(d.ping_seconds, null);
  const m = Object.fromEntries((c.metrics?.(d) ?? []).map((f) => [f.name, f.samples[0]?.value]));
  assert.deepEqual(m, { edgewatch_redis_up: 0 });
});

test("redis: a server that accepts but never answers times out as down", async (t) => {
  const sockets: import("node:net").Socket[] = [];
  const silent = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const port = (silent.address() as { port: number }).port;
  const d = await probeRedis(parseRedisUrl(`redis://127.0.0.1:${port}`), 300);
  assert.equal(d.up, false);
  assert.equal(d.error, "no answer within 300 ms");
});

test("redis: a server that answers garbage is down with the reason", async (t) => {
  const junk = createServer((s) => s.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
  await new Promise<void>((r) => junk.listen(0, "127.0.0.1", r));
  t.after(() => junk.close());
  const port = (junk.address() as { port: number }).port;
  const d = await probeRedis(parseRedisUrl(`redis://127.0.0.1:${port}`), 5000);
  assert.equal(d.up, false);
  assert.match(String(d.error), /not a Redis reply|connection closed/);
});

test("redis: RESP parsing handles split and nested replies", () => {
  assert.equal(parseReply(Buffer.from("+PO")), null);
  assert.deepEqual(parseReply(Buffer.from("+PONG\r\n")), { value: "PONG", end: 7 });
  assert.equal(parseReply(Buffer.from("$5\r\nhel")), null);
  assert.deepEqual(parseReply(Buffer.from("$5\r\nhello\r\n")), { value: "hello", end: 11 });
  assert.deepEqual(parseReply(Buffer.from("*2\r\n:1\r\n$-1\r\n"))?.value, [1, null]);
  assert.ok(parseReply(Buffer.from("-ERR x\r\n"))?.value instanceof Error);
});

test("redis: config rejects a non-Redis URL with a clear message; no URL means no collector", () => {
  assert.throws(
    () => validateConfig({ collectors: { redis: { url: "http://127.0.0.1:6379" } } }, "device.yaml"),
    /device\.yaml: collectors\.redis\.url: expected a Redis URL like "redis:\/\/127\.0\.0\.1:6379", got "http:\/\/127\.0\.0\.1:6379"/,
  );
  assert.equal(redisCollector(config()), null);
});
