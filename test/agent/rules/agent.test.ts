import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { emitEvent } from "../../../src/protocol/events.ts";
import { updateStatus } from "../../../src/protocol/fragment.ts";
import { freePort } from "../../helpers/redis.ts";
import { requireTool, tempDir, waitFor as waitForBase } from "../../helpers/tools.ts";
import { ew } from "../../jobs/helpers.ts";
import { get, startTestAgent } from "../core/helpers.ts";
import { webhookServer } from "../notify/contracts.ts";

/** Generous deadlines: the machine may be heavily loaded; nothing here asserts on elapsed time. */
const waitFor = <T>(what: string, check: () => T | Promise<T>) => waitForBase(what, check, 120_000);

// biome-ignore lint/suspicious/noExplicitAny: JSON answers from the agent, inspected field by field
type Json = any;

test("real agent: capture errors notify at the third in a row, an upload warning notifies at warning at once", async (t) => {
  const hook = await webhookServer(t);
  const a = await startTestAgent(t, {
    notify: { channels: [{ type: "webhook", url: `${hook.url}/hook` }] },
  });
  const w = { dir: a.statusDir };
  const capErr = () =>
    emitEvent("timelapse", { level: "error", message: "capture failed: camera timeout", code: "CAP-001" }, w);

  await capErr();
  await capErr();
  await waitFor("both capture errors recorded and counted", async () => {
    const cam = (await get(`${a.url}/api/camera/status`)).json<Json>();
    return JSON.stringify(cam).includes('"consecutive_failures":2');
  });
  // A warning from the uploader passes through the same path after them: once it is delivered, the
  // two capture errors had their chance to notify and did not.
  await emitEvent("manager", { level: "warning", message: "YouTube upload failed: quota exceeded", code: "YT-001" }, w);
  await waitFor("the upload warning delivered", () => hook.accepted.length >= 1);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(hook.accepted.length, 1, hook.accepted.map((r) => r.json.message).join(" | "));
  const warn = hook.accepted[0]?.json;
  assert.equal(warn.level, "WARNING");
  assert.equal(warn.message, "WARNING: manager: YouTube upload failed: quota exceeded");
  const doc = (await get(`${a.url}/status`)).json<Json>();
  assert.equal(
    doc.errors.filter((e: Json) => e.code === "CAP-001").length,
    2,
    "each capture error is recorded in /status errors",
  );

  await capErr();
  await waitFor("the capture alert delivered", () => hook.accepted.length >= 2);
  const cap = hook.accepted[1]?.json;
  assert.equal(cap.level, "ERROR");
  assert.equal(cap.alert.id, "events:timelapse:capture");
  assert.match(cap.message, /timelapse: 3 capture errors in a row, latest: capture failed: camera timeout/);

  await updateStatus("timelapse", { last_capture: { time: new Date().toISOString(), success: true } }, w);
  await waitFor("resolved once a photo is taken", () => hook.accepted.length >= 3);
  assert.equal(hook.accepted[2]?.json.alert.notice, "resolved");
  assert.equal(hook.accepted[2]?.json.message, "RESOLVED: timelapse: captures working again");
});

test("real agent: disk free in bytes, Redis down, upload rate, capture failure rate and transfer failures raise their alerts", async (t) => {
  const redisBin = requireTool(t, "redis-server");
  if (!redisBin) return;
  requireTool(t, "rsync");
  const port = await freePort();
  const dir = tempDir(t, "ew-rules-");
  const a = await startTestAgent(t, {
    collectors: {
      system: { interval: "1s", mounts: [dir] },
      redis: { url: `redis://127.0.0.1:${port}`, interval: "1s", timeout: "500ms" },
    },
    alerts: {
      rules: {
        disk_free: { warning_below: "1000TB", critical_below: 0, for: "0s" },
        redis_down: { for: "0s" },
        upload_success_rate: { for: "0s" },
        capture_failure_rate: { min_captures: 5 },
      },
    },
  });
  const w = { dir: a.statusDir };
  const firing = async () =>
    new Map<string, Json>(
      (await get(`${a.url}/api/alerts`)).json<Json>().firing.map((x: Json) => [x.id, x] as [string, Json]),
    );

  await updateStatus("uploader", { uploads: { completed: 18, failed: 2 } }, w);
  for (let i = 0; i < 10; i++) {
    const time = new Date(Date.now() - (10 - i) * 30_000).toISOString();
    await updateStatus("timelapse", { last_capture: { time, success: i % 5 !== 2 } }, w);
    await waitFor("the camera collector to see the capture", async () => {
      const cam = (await get(`${a.url}/api/camera/status`)).json<Json>();
      return JSON.stringify(cam).includes(time.slice(0, 19));
    });
  }
  // Three transfers that give up, through the real `edgewatch transfer`.
  const src = join(dir, "pics");
  mkdirSync(src);
  writeFileSync(join(src, "a.jpg"), "x".repeat(100));
  for (let i = 0; i < 3; i++) {
    const r = ew([
      "transfer",
      src,
      "/proc/self/nope/dest",
      "--name",
      "nas",
      "--retries",
      "0",
      "--dir",
      a.statusDir,
      "--state-dir",
      join(dir, "state"),
    ]);
    assert.equal(r.code, 1, r.err);
  }

  const found = await waitFor("the five alerts", async () => {
    const f = await firing();
    const want = [
      `disk_free:${dir}`,
      "redis_down",
      "upload_success_rate",
      "capture_failure_rate",
      "transfer_failures:nas",
    ];
    return want.every((id) => f.has(id)) ? f : null;
  });
  const all = found as Map<string, Json>;
  assert.match(all.get(`disk_free:${dir}`).summary, /GB free \(warning below 1000000\.0 GB\)/);
  assert.match(all.get("redis_down").summary, /^Redis 127\.0\.0\.1:\d+ is down: /);
  assert.equal(all.get("redis_down").severity, "critical");
  assert.equal(all.get("upload_success_rate").summary, "Upload success rate 90% of 20 uploads (below 95%)");
  assert.equal(all.get("capture_failure_rate").summary, "20% of the last 10 captures failed (limit 10%)");
  assert.match(all.get("transfer_failures:nas").summary, /^Transfer nas failed 3 times in the last 24 h; last: /);

  // Redis comes up on that port: the alert resolves.
  const redis = spawn(redisBin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir], {
    stdio: "ignore",
  });
  t.after(() => {
    redis.kill("SIGKILL");
  });
  await waitFor("redis_down resolved", async () => !(await firing()).has("redis_down"));
});

test("real agent: no capture during the capture window raises capture_stalled, worded as such; a photo clears it", async (t) => {
  const hhmm = (ms: number) => {
    const d = new Date(ms);
    return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  };
  // A window around now (it may cross midnight: the collector handles that), and a 2 s limit;
  // the program has just taken a photo when the agent starts.
  const statusDir = join(tempDir(t, "ew-stall-"), "status");
  mkdirSync(statusDir);
  const w = { dir: statusDir };
  await updateStatus(
    "timelapse",
    { status: "capturing", last_capture: { time: new Date().toISOString(), success: true } },
    w,
  );
  const a = await startTestAgent(t, {
    status_dir: statusDir,
    collectors: {
      schedule: {
        interval: "1s",
        start: hhmm(Date.now() - 3_600_000),
        end: hhmm(Date.now() + 3_600_000),
        capture_interval: "0.5s",
        stall_after: "2s",
      },
    },
  });
  const alert = await waitFor("capture_stalled", async () =>
    (await get(`${a.url}/api/alerts`)).json<Json>().firing.find((x: Json) => x.id === "capture_stalled"),
  );
  assert.match(
    alert.summary,
    /^No capture during the capture window: no photo for \d+ s \(limit 2 s\) inside the capture window \d\d:\d\d–\d\d:\d\d$/,
  );
  await updateStatus("timelapse", { last_capture: { time: new Date().toISOString(), success: true } }, w);
  await waitFor(
    "resolved by a photo",
    async () => !(await get(`${a.url}/api/alerts`)).json<Json>().firing.some((x: Json) => x.id === "capture_stalled"),
  );
});
