import assert from "node:assert/strict";
import { test } from "node:test";
import { CaptureLedger, cameraCollector, healthScore } from "../../../src/agent/collectors/camera.ts";
import type { CollectContext } from "../../../src/agent/collectors/types.ts";
import { DeviceState } from "../../../src/agent/state.ts";
import { emitEvent } from "../../../src/protocol/events.ts";
import { updateStatus } from "../../../src/protocol/fragment.ts";
import type { JsonObject } from "../../../src/protocol/json.ts";
import { StatusReader } from "../../../src/protocol/reader.ts";
import { tempDir, waitFor } from "../../helpers/tools.ts";
import { collectOnce, config } from "./helpers.ts";

const T0 = Date.parse("2026-02-08T14:00:00Z");
const iso = (sec: number) => new Date(T0 + sec * 1000).toISOString();
const capture = (sec: number, success: boolean): JsonObject => ({ last_capture: { time: iso(sec), success } });

test("camera health score: 100·s − 10·min(c,5), clamped 0–100; seed 003's 5 and 10 failures land on 25 and 0", () => {
  assert.equal(healthScore(null, 0), null);
  assert.equal(healthScore(1, 0), 100);
  assert.equal(healthScore(0.95, 0), 95);
  assert.equal(healthScore(15 / 20, 5), 25);
  assert.equal(healthScore(10 / 20, 10), 0);
  assert.equal(healthScore(0, 3), 0);
  assert.equal(healthScore(0.9, 1), 80);
});

test("camera: status-document captures feed the last-N window; consecutive failures, success rate, score", async () => {
  const cfg = config({ camera: { window: 4 } });
  const c = cameraCollector(cfg);
  assert.ok(c);
  const state = new DeviceState();
  const base: Omit<CollectContext, "signal"> = {
    config: cfg,
    state,
    now: () => T0 + 100_000,
    procRoot: "/proc",
    sysRoot: "/sys",
  };
  const detach = c.attach?.(base);
  assert.ok(detach);
  // Nothing captured yet: no data.
  let d = await collectOnce(c, cfg, state, base.now);
  assert.equal(d.captures_considered, 0);
  assert.equal(d.health_score, null);
  assert.equal(d.last_capture_age_seconds, null);

  // Five captures: ok ok ok fail fail (window 4 keeps the last four). Repeated documents with the
  // same last_capture.time (another source wrote) are not new captures.
  for (const [sec, ok] of [
    [10, true],
    [20, true],
    [30, true],
    [40, false],
    [50, false],
  ] as const) {
    await state.setDocument({ status: "capturing", ...capture(sec, ok) });
    await state.setDocument({ status: "capturing", ...capture(sec, ok), other: sec });
  }
  d = await collectOnce(c, cfg, state, base.now);
  assert.equal(d.captures_considered, 4);
  assert.equal(d.consecutive_failures, 2);
  assert.equal(d.success_rate, 0.5);
  assert.equal(d.health_score, 30); // 100·0.5 − 10·2
  assert.equal(d.last_capture_success, false);
  assert.equal(d.last_capture_time, iso(50));
  assert.equal(d.last_capture_age_seconds, 50);
  assert.equal(d.last_success_time, iso(30));
  assert.equal(d.last_success_timestamp_seconds, (T0 + 30_000) / 1000);

  await state.setDocument(capture(60, true));
  d = await collectOnce(c, cfg, state, base.now);
  assert.equal(d.consecutive_failures, 0);
  assert.equal(d.success_rate, 0.5); // 30 ok, 40 fail, 50 fail, 60 ok
  assert.equal(d.health_score, 50);

  const fams = Object.fromEntries((c.metrics?.(d) ?? []).map((f) => [f.name, f.samples[0]?.value]));
  assert.deepEqual(fams, {
    edgewatch_last_capture_timestamp_seconds: (T0 + 60_000) / 1000,
    edgewatch_last_capture_success: 1,
    edgewatch_camera_health_score: 50,
    edgewatch_camera_consecutive_failures: 0,
    edgewatch_camera_success_ratio: 0.5,
  });
  detach();
});

test("camera: CAP-* error events are failed captures; the same failure by event and document counts once", () => {
  const ledger = new CaptureLedger(20);
  ledger.fromDocument(capture(0, true));
  // Event first, then the document reporting the same failure 0.3 s later.
  ledger.fromEvent({ time: iso(45), level: "error", source: "timelapse", message: "camera timeout", code: "CAP-001" });
  ledger.fromDocument(capture(45.3, false));
  // Document first, then the event.
  ledger.fromDocument(capture(90, false));
  ledger.fromEvent({
    time: iso(90.2),
    level: "error",
    source: "timelapse",
    message: "camera timeout",
    code: "CAP-001",
  });
  // A second event right after the paired one is a second failure, not a twin.
  ledger.fromEvent({ time: iso(91), level: "error", source: "timelapse", message: "camera timeout", code: "CAP-001" });
  // An event with no document twin (a program that only reports failures by event).
  ledger.fromEvent({ time: iso(135), level: "critical", source: "timelapse", message: "no camera", code: "CAP-002" });
  // Not camera failures: other codes, lower levels.
  ledger.fromEvent({ time: iso(140), level: "error", source: "manager", message: "upload failed", code: "UPL-001" });
  ledger.fromEvent({ time: iso(141), level: "warning", source: "timelapse", message: "slow", code: "CAP-009" });
  const s = ledger.summary(T0 + 200_000);
  assert.equal(s.captures_considered, 5);
  assert.equal(s.consecutive_failures, 4);
  assert.equal(s.success_rate, 0.2);
  assert.deepEqual(s.last_error, { time: iso(135), code: "CAP-002", message: "no camera", source: "timelapse" });
});

test("camera: after an agent restart, the writer's own consecutive_failures count is used while failing", () => {
  const ledger = new CaptureLedger(20);
  ledger.fromDocument({ ...capture(10, false), camera: { consecutive_failures: 7 } });
  assert.equal(ledger.summary(T0 + 20_000).consecutive_failures, 7);
  ledger.fromDocument({ ...capture(20, true), camera: { consecutive_failures: 7 } }); // stale count after a success
  assert.equal(ledger.summary(T0 + 30_000).consecutive_failures, 0);
});

test("camera: malformed last_capture values are ignored, the last good data kept", () => {
  const ledger = new CaptureLedger(20);
  ledger.fromDocument(capture(10, true));
  for (const bad of [
    { last_capture: "yesterday" },
    { last_capture: { time: "not a time", success: true } },
    { last_capture: { time: iso(20), success: "yes" } },
    { last_capture: { time: 12, success: false } },
    { last_capture: null },
  ]) {
    ledger.fromDocument(bad as JsonObject);
  }
  const s = ledger.summary(T0 + 30_000);
  assert.equal(s.captures_considered, 1);
  assert.equal(s.last_capture_success, true);
});

test("camera: end to end through the real protocol: writer fragments and maildir events via StatusReader", async (t) => {
  const dir = tempDir(t);
  const state = new DeviceState();
  const reader: StatusReader = new StatusReader({
    dir,
    onEvent: (ev) => state.publishEvent(ev),
    onWarning: () => {},
    onChange: () => {
      state.setDocument(reader.document()).catch(() => {});
    },
  });
  const cfg = config({}, { status_dir: dir });
  const c = cameraCollector(cfg);
  assert.ok(c);
  const detach = c.attach?.({ config: cfg, state, now: Date.now, procRoot: "/proc", sysRoot: "/sys" });
  t.after(() => {
    detach?.();
    reader.stop();
  });
  await reader.start();
  const w = { dir };
  const t1 = new Date(Date.now() - 3000).toISOString();
  await updateStatus("timelapse", { status: "capturing", last_capture: { time: t1, success: true } }, w);
  await waitFor("first capture", async () => (await collectOnce(c, cfg, state)).captures_considered === 1, 20_000);
  const t2 = new Date(Date.now() - 1000).toISOString();
  await updateStatus("timelapse", { last_capture: { time: t2, success: false } }, w);
  await emitEvent(
    "timelapse",
    { level: "error", message: "capture failed: camera timeout", code: "CAP-001", time: t2 },
    w,
  );
  const d = await waitFor(
    "the failure",
    async () => {
      const x = await collectOnce(c, cfg, state);
      return x.last_error && x.captures_considered === 2 ? x : null;
    },
    20_000,
  );
  assert.equal(d?.consecutive_failures, 1);
  assert.equal(d?.success_rate, 0.5);
  assert.equal(d?.health_score, 40);
});
