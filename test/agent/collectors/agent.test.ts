import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { startAgent } from "../../../src/agent/agent.ts";
import { collectorsModule } from "../../../src/agent/collectors/module.ts";
import { emitEvent } from "../../../src/protocol/events.ts";
import { updateStatus } from "../../../src/protocol/fragment.ts";
import { tempDir, waitFor } from "../../helpers/tools.ts";
import { config, FIXTURES, memoryLog } from "./helpers.ts";

/** Value of one series in a Prometheus text exposition, or undefined. */
function series(text: string | null, name: string, labels = ""): number | undefined {
  for (const line of (text ?? "").split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    if (labels && !line.includes(labels)) continue;
    return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

test("in the real agent: protocol writes drive the camera/schedule series, and creating_video pauses sampling", async (t) => {
  const dir = tempDir(t);
  const cfg = config(
    {
      sys_root: join(FIXTURES, "pi4-healthy", "sys"),
      system: { interval: "1s", mounts: [dir] },
      camera: { interval: "1s" },
      schedule: { interval: "1s" },
      thermal: { interval: "1s" },
    },
    { status_dir: join(dir, "status"), state_dir: join(dir, "state"), device: { id: "cam-e2e", site: "lab" } },
  );
  const agent = await startAgent(cfg, { port: 0, host: "127.0.0.1", log: memoryLog(), factories: [collectorsModule] });
  t.after(() => agent.stop());
  const metrics = async () => (await fetch(`${agent.url}/metrics`)).text();
  const w = { dir: cfg.status_dir };
  const today = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  await updateStatus(
    "timelapse",
    {
      status: "capturing",
      today: {
        date: `${today.getFullYear()}-${p(today.getMonth() + 1)}-${p(today.getDate())}`,
        photos_captured: 12,
        expected_photos: 700,
        interval_seconds: 30,
      },
      last_capture: { time: new Date(Date.now() - 5000).toISOString(), success: true },
    },
    w,
  );
  let text = await waitFor(
    "the capture series",
    async () => {
      const m = await metrics();
      return series(m, "edgewatch_photos_captured_today") === 12 && series(m, "edgewatch_camera_health_score") === 100
        ? m
        : null;
    },
    30_000,
  );
  assert.equal(series(text, "edgewatch_photos_expected_today"), 700);
  assert.equal(series(text, "edgewatch_cpu_temperature_celsius", 'device="cam-e2e"'), 48.85);
  assert.equal(series(text, "edgewatch_collector_success", 'collector="system"'), 1);
  assert.equal(series(text, "edgewatch_disk_free_bytes", `mount="${dir}"`) !== undefined, true);

  // A failed capture reported as an event through the maildir.
  await emitEvent("timelapse", { level: "error", message: "capture failed: camera timeout", code: "CAP-001" }, w);
  text = await waitFor(
    "the failure to count",
    async () => {
      const m = await metrics();
      return series(m, "edgewatch_camera_consecutive_failures") === 1 ? m : null;
    },
    30_000,
  );
  assert.equal(series(text, "edgewatch_camera_health_score"), 40); // 100 × 1/2 − 10 × 1

  // Encoding: non-essential collectors pause, thermal (essential) keeps going; health stays ok.
  await updateStatus("timelapse", { status: "creating_video" }, w);
  text = await waitFor(
    "quiet mode",
    async () => {
      const m = await metrics();
      return series(m, "edgewatch_collector_paused", 'collector="system"') === 1 ? m : null;
    },
    30_000,
  );
  assert.equal(series(text, "edgewatch_collector_paused", 'collector="thermal"'), 0);
  assert.equal(series(text, "edgewatch_collector_paused", 'collector="camera"'), 1);
  const before = series(text, "edgewatch_collector_last_run_timestamp_seconds", 'collector="system"');
  const thermalBefore = series(text, "edgewatch_collector_last_run_timestamp_seconds", 'collector="thermal"');
  text = await waitFor(
    "thermal to run again while quiet",
    async () => {
      const m = await metrics();
      const t2 = series(m, "edgewatch_collector_last_run_timestamp_seconds", 'collector="thermal"');
      return t2 !== undefined && thermalBefore !== undefined && t2 > thermalBefore + 1.5 ? m : null;
    },
    30_000,
  );
  assert.equal(series(text, "edgewatch_collector_last_run_timestamp_seconds", 'collector="system"'), before);
  const deep = await fetch(`${agent.url}/health/deep`);
  assert.equal(deep.status, 200, await deep.text());

  await updateStatus("timelapse", { status: "idle" }, w);
  await waitFor(
    "sampling to resume",
    async () => {
      const m = await metrics();
      const s = series(m, "edgewatch_collector_last_run_timestamp_seconds", 'collector="system"');
      return (
        series(m, "edgewatch_collector_paused", 'collector="system"') === 0 &&
        s !== undefined &&
        before !== undefined &&
        s > before
      );
    },
    30_000,
  );
});
