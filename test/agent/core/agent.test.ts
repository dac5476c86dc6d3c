import assert from "node:assert/strict";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { emitEvent } from "../../../src/protocol/events.ts";
import { updateStatus } from "../../../src/protocol/fragment.ts";
import { waitFor } from "../../helpers/tools.ts";
import { get, startTestAgent, until } from "./helpers.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
type Json = any;

test("/status serves the merged document with agent-owned fields, and quiet mode while creating_video", async (t) => {
  const a = await startTestAgent(t);
  const w = { dir: a.statusDir };
  await updateStatus("timelapse", { status: "capturing", today: { photos_captured: 12 }, device_id: "spoofed" }, w);
  await updateStatus("scheduler", { today: { expected_photos: 750, date: "2026-02-08" } }, w);
  const doc = await until("merged status", async () => {
    const r = await get(`${a.url}/status`);
    const d = r.json<Json>();
    return d.today?.expected_photos === 750 && d.today?.photos_captured === 12 ? d : null;
  });
  assert.equal(doc.device_id, "pi-test", "agent owns device_id; a fragment cannot override it");
  assert.equal(doc.site, "lab");
  assert.equal(typeof doc.uptime_seconds, "number");
  assert.equal(doc.status, "capturing");
  assert.deepEqual(Object.keys(doc.sources).sort(), ["scheduler", "timelapse"]);
  assert.equal(doc.agent.quiet, false);
  assert.equal(doc.agent.sampling, "active");

  await updateStatus("timelapse", { status: "creating_video" }, w);
  const quiet = await until("quiet mode in /status", async () => {
    const d = (await get(`${a.url}/status`)).json<Json>();
    return d.agent.quiet === true ? d : null;
  });
  assert.equal(quiet.agent.sampling, "paused");
  assert.equal(quiet.status, "creating_video");
  const m = await get(`${a.url}/metrics`);
  assert.match(m.body, /^edgewatch_quiet_mode\{device="pi-test",site="lab"\} 1$/m);
  assert.match(m.body, /^edgewatch_device_status\{device="pi-test",site="lab",status="creating_video"\} 1$/m);

  await updateStatus("timelapse", { status: "idle" }, w);
  await waitFor("quiet mode ends", async () => (await get(`${a.url}/status`)).json<Json>().agent.quiet === false);
});

test("error events show in /status errors and edgewatch_errors_current; bad fragments are warnings in /api/health", async (t) => {
  const a = await startTestAgent(t);
  const w = { dir: a.statusDir };
  await updateStatus("timelapse", { status: "capturing" }, w);
  await emitEvent("timelapse", { level: "error", message: "capture failed: camera timeout", code: "CAP-001" }, w);
  await emitEvent("timelapse", { level: "info", message: "video created" }, w);
  const doc = await until("error in /status", async () => {
    const d = (await get(`${a.url}/status`)).json<Json>();
    return d.errors.length === 1 ? d : null;
  });
  assert.equal(doc.errors[0].code, "CAP-001");
  assert.equal(doc.errors[0].source, "timelapse");
  const m = await get(`${a.url}/metrics`);
  assert.match(m.body, /^edgewatch_errors_current\{device="pi-test",site="lab"\} 1$/m);

  // a half-written fragment: ignored, the last good one kept, one warning naming the source
  writeFileSync(join(a.statusDir, "status.d", ".broken.tmp"), "{not json");
  renameSync(join(a.statusDir, "status.d", ".broken.tmp"), join(a.statusDir, "status.d", "timelapse.json"));
  const h = await until("warning in /api/health", async () => {
    const d = (await get(`${a.url}/api/health`)).json<Json>();
    return d.warnings.length > 0 ? d : null;
  });
  assert.equal(h.warnings[0].source, "timelapse");
  assert.match(h.warnings[0].reason, /JSON/);
  assert.equal((await get(`${a.url}/status`)).json<Json>().status, "capturing");
  assert.equal((await get(`${a.url}/health`)).status, 200);
});

test("/health is seed 000's shape; /health/deep answers 503 naming the reader when the status dir is gone", async (t) => {
  const a = await startTestAgent(t);
  const h = await get(`${a.url}/health`);
  assert.equal(h.status, 200);
  const body = h.json<Record<string, unknown>>();
  assert.equal(body.status, "ok");
  assert.equal(typeof body.uptime_seconds, "number");

  const deep = await get(`${a.url}/health/deep`);
  assert.equal(deep.status, 200, deep.body);
  assert.equal(deep.json<Json>().checks.reader.ok, true);

  renameSync(join(a.statusDir, "status.d"), join(a.statusDir, "status.d.moved"));
  const bad = await until("503 from /health/deep", async () => {
    const r = await get(`${a.url}/health/deep`);
    return r.status === 503 ? r : null;
  });
  const b = bad.json<Json>();
  assert.ok(b.failing.includes("reader"), bad.body);
  assert.match(b.error, /reader/);
  assert.equal(b.checks.reader.ok, false);
  assert.equal((await get(`${a.url}/health`)).status, 200, "plain /health still answers");

  // a new, empty status.d in its place (a tmpfs remounted under the agent) is not watched: still 503
  mkdirSync(join(a.statusDir, "status.d"));
  const replaced = await get(`${a.url}/health/deep`);
  assert.equal(replaced.status, 503);
  assert.match(replaced.json<Json>().checks.reader.detail, /status dir was replaced/);
});

test("seed 003 API routes answer JSON with their documented shapes", async (t) => {
  const a = await startTestAgent(t, { history: { interval: 0 } });
  await updateStatus(
    "timelapse",
    {
      status: "capturing",
      today: { photos_captured: 3, expected_photos: 10 },
      last_capture: { time: new Date().toISOString(), success: true },
    },
    { dir: a.statusDir },
  );
  await waitFor("document", async () => (await get(`${a.url}/status`)).json<Json>().today?.photos_captured === 3);
  const summary = (await get(`${a.url}/api/health/summary`)).json<Json>();
  assert.equal(summary.device_id, "pi-test");
  assert.ok(["healthy", "warning", "critical"].includes(summary.overall));
  assert.deepEqual(summary.photos, { captured: 3, expected: 10 });
  const cam = (await get(`${a.url}/api/camera/status`)).json<Json>();
  assert.equal(cam.last_capture.success, true);
  const perf = (await get(`${a.url}/api/metrics/performance`)).json<Json>();
  assert.equal(typeof perf.agent.rss_bytes, "number");
  assert.equal(perf.series.photos_captured.current, 3);
  assert.ok(perf.series.photos_captured.min <= 3 && perf.series.photos_captured.max === 3);
  const hist = (await get(`${a.url}/api/metrics/history?hours=1`)).json<Json>();
  assert.equal(hist.hours, 1);
  assert.equal(hist.max_samples, 1000);
  assert.ok(hist.count >= 1, "a sample is taken when the document changes");
  assert.equal(hist.samples.at(-1).photos_captured, 3);
  const dash = (await get(`${a.url}/api/dashboard`)).json<Json>();
  assert.equal(dash.summary.device_id, "pi-test");
  assert.ok(Array.isArray(dash.alerts));
  const st = (await get(`${a.url}/api/status`)).json<Json>();
  assert.equal(st.status, "running");
  assert.ok(st.modules.includes("core"));
  const bad = await get(`${a.url}/api/metrics/history?hours=abc`);
  assert.equal(bad.status, 400);
  assert.match(bad.json<{ error: string }>().error, /hours: expected a number from 0\.01 to 8760, got "abc"/);
});
