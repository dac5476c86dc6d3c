import assert from "node:assert/strict";
import { appendFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { emitEvent } from "../../../src/protocol/events.ts";
import { get, until } from "../core/helpers.ts";
import { agentOn, receiver, scrape, sleep, workDir } from "./helpers.ts";
import { checkLokiPush, type LokiStream } from "./loki-contract.ts";

/** A Loki-contract receiver: 400 with the reason on a broken push, else `status()` (204 by default). */
async function lokiReceiver(t: Parameters<typeof receiver>[0]) {
  const accepted: LokiStream[] = [];
  const refusals: string[] = [];
  const ctl = { status: 204 };
  const rx = await receiver(t, (r, res) => {
    const c = checkLokiPush(r);
    if ("error" in c) {
      refusals.push(c.error);
      res.writeHead(400).end(c.error);
      return;
    }
    if (ctl.status !== 204) {
      res.writeHead(ctl.status, ctl.status === 429 ? { "retry-after": "1" } : {}).end("try later");
      return;
    }
    accepted.push(...c.streams);
    res.writeHead(204).end();
  });
  const lines = (service?: string) =>
    accepted.filter((s) => !service || s.stream.service === service).flatMap((s) => s.values.map((v) => v[1]));
  return { ...rx, accepted, refusals, ctl, lines };
}

test("loki: events and a followed log reach a Loki-contract receiver with device/site/service/level and the event code as metadata", {
  timeout: 60_000,
}, async (t) => {
  const dir = workDir(t);
  const lk = await lokiReceiver(t);
  const log = join(dir, "recorder.log");
  writeFileSync(log, "2026-11-30 10:00:00 - INFO - recorder started\n");
  const a = await agentOn(t, dir, {
    files: { logs: [{ path: log, name: "recorder" }] },
    exports: { loki: { url: lk.url, batch_wait: "200ms", labels: { env: "gym" } } },
  });
  appendFileSync(log, "2026-11-30 10:00:01 - ERROR - upload failed\n");
  await emitEvent("timelapse", { level: "error", message: "capture failed", code: "CAP-001" }, { dir: a.statusDir });
  await until(
    "both log lines and the event",
    () => lk.lines("recorder").length >= 2 && lk.lines("timelapse").length >= 1,
    30_000,
  );
  assert.deepEqual(lk.refusals, []);
  const err = lk.accepted.find((s) => s.stream.service === "recorder" && s.stream.level === "error");
  assert.deepEqual(err?.stream, { env: "gym", device: "pi-test", site: "lab", service: "recorder", level: "error" });
  const ev = lk.accepted.find((s) => s.stream.service === "timelapse");
  assert.equal(ev?.stream.level, "error");
  assert.equal(ev?.values[0]?.[1], "capture failed");
  assert.deepEqual(ev?.values[0]?.[2], { code: "CAP-001" });
  const text = (await get(`${a.url}/metrics`)).body;
  assert.equal(scrape(text, "edgewatch_export_sent_total", { type: "loki" }), 3);
});

test("loki: 429 and 5xx are retried until accepted; a 400 is dropped with one warning", {
  timeout: 60_000,
}, async (t) => {
  const dir = workDir(t);
  const lk = await lokiReceiver(t);
  lk.ctl.status = 429;
  const a = await agentOn(t, dir, {
    exports: { loki: { url: lk.url, batch_wait: "100ms", queue: { backoff_initial: "200ms", backoff_max: "1s" } } },
  });
  await emitEvent("cam", { level: "warning", message: "one" }, { dir: a.statusDir });
  await until("a refused attempt", () => lk.got.length >= 1, 10_000);
  lk.ctl.status = 503;
  await until("more attempts", () => lk.got.length >= 3, 20_000);
  lk.ctl.status = 204;
  await until("the event accepted after the retries", () => lk.lines("cam").includes("one"), 20_000);
  assert.equal(lk.lines("cam").length, 1);

  lk.ctl.status = 400;
  const before = lk.got.length;
  await emitEvent("cam", { level: "warning", message: "two" }, { dir: a.statusDir });
  await emitEvent("cam", { level: "warning", message: "three" }, { dir: a.statusDir });
  await until("the refusal", () => lk.got.length > before, 10_000);
  await sleep(2000);
  const bodies = lk.got.slice(before).map((r) => r.body.toString("base64"));
  assert.equal(new Set(bodies).size, bodies.length, "a refused batch is never sent again");
  assert.equal(a.logs.filter((l) => /refused a batch/.test(l.msg)).length, 1);
});

test("loki: a log rotated mid-way, and again while the agent is stopped, loses no line and repeats none", {
  timeout: 120_000,
}, async (t) => {
  const dir = workDir(t);
  const lk = await lokiReceiver(t);
  const log = join(dir, "app.log");
  const write = (from: number, to: number) => {
    for (let i = from; i <= to; i++) appendFileSync(log, `line ${i}\n`);
  };
  const input = {
    files: { logs: [{ path: log, name: "app" }] },
    exports: { loki: { url: lk.url, batch_wait: "100ms", queue: { backoff_initial: "200ms", backoff_max: "1s" } } },
  };
  writeFileSync(log, "");
  let a = await agentOn(t, dir, input);
  write(1, 50);
  await until("lines 1-50", () => lk.lines("app").length >= 50, 20_000);
  lk.ctl.status = 500; // an outage: lines wait in the queue
  write(51, 100);
  renameSync(log, `${log}.1`); // rotated mid-way
  write(101, 150);
  await until(
    "the agent to read line 150",
    async () => {
      const q = scrape((await get(`${a.url}/metrics`)).body, "edgewatch_export_queued", { type: "loki" });
      return (q ?? 0) >= 100;
    },
    20_000,
  );
  await a.stop();
  write(151, 170); // while the agent is stopped: more lines, then another rotation
  renameSync(log, `${log}.2`);
  write(171, 200);
  lk.ctl.status = 204;
  a = await agentOn(t, dir, input);
  await until("200 lines", () => lk.lines("app").length >= 200, 30_000);
  await sleep(1000);
  const got = lk.lines("app");
  const want = Array.from({ length: 200 }, (_, i) => `line ${i + 1}`);
  assert.deepEqual([...got].sort(), [...want].sort(), "every line exactly once");
  assert.deepEqual(lk.refusals, []);
});

test("loki: 6 MB of log lines and one 300 KB line go out in pushes within Loki's limits, the long line cut", {
  timeout: 120_000,
}, async (t) => {
  const dir = workDir(t);
  const lk = await lokiReceiver(t);
  const log = join(dir, "big.log");
  writeFileSync(log, "");
  await agentOn(t, dir, {
    files: { logs: [{ path: log, name: "big" }] },
    exports: { loki: { url: lk.url, batch_wait: "100ms", queue: { max_bytes: 32 * 1024 * 1024 } } },
  });
  const pad = "x".repeat(2000);
  let chunk = "";
  for (let i = 1; i <= 3000; i++) chunk += `line ${i} ${pad}\n`;
  appendFileSync(log, chunk);
  appendFileSync(log, `long ${"y".repeat(300 * 1024)}\n`);
  appendFileSync(log, "after the long one\n");
  await until("every line", () => lk.lines("big").includes("after the long one"), 60_000);
  await sleep(500);
  assert.deepEqual(lk.refusals, [], "no push over Loki's limits");
  assert.ok(lk.got.length >= 6, `several pushes, got ${lk.got.length}`);
  const long = lk.lines("big").find((l) => l.startsWith("long "));
  assert.ok(
    long && Buffer.byteLength(long) <= 256 * 1024 && long.endsWith("…[truncated]"),
    "the long line is cut to 256 KiB",
  );
  assert.equal(lk.lines("big").length, 3002, "the rest of the long line is not sent as a line of its own");
  assert.equal(new Set(lk.lines("big")).size, 3002);
});
