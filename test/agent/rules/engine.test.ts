import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { thresholdSeverity } from "../../../src/agent/rules/kit.ts";
import { ManualClock } from "../../../src/lib/clock.ts";
import { inDailyWindow, nextDailyEdge } from "../../../src/lib/time-of-day.ts";
import type { AlertNotice } from "../../../src/notify/alert.ts";
import { tempDir } from "../../helpers/tools.ts";
import { setup } from "./helpers.ts";

test("hysteresis: a level is raised at its threshold and cleared only below threshold − margin", () => {
  const t = { warning: 85, critical: 95, clear_margin: 5 };
  assert.equal(thresholdSeverity(84.9, null, t), null);
  assert.equal(thresholdSeverity(85, null, t), "warning");
  assert.equal(thresholdSeverity(81, "warning", t), "warning");
  assert.equal(thresholdSeverity(80, "warning", t), null);
  assert.equal(thresholdSeverity(96, "warning", t), "critical");
  assert.equal(thresholdSeverity(91, "critical", t), "critical");
  assert.equal(thresholdSeverity(90, "critical", t), "warning");
});

test("a single-sample spike notifies nothing; a sustained value fires once after `for`, resolves once after clear_for", async (t) => {
  const s = setup();
  t.after(() => s.engine.stop());
  await s.engine.start();
  await s.cpu(30);
  await s.clock.advance(10_000);
  await s.cpu(99); // spike
  await s.clock.advance(10_000);
  await s.cpu(30);
  await s.clock.advance(5 * 60_000);
  assert.deepEqual(s.kinds(), [], "a spike gives no notification");
  assert.equal(s.engine.view().history.length, 0);

  for (let i = 0; i < 18; i++) {
    await s.cpu(90);
    await s.clock.advance(10_000);
  }
  assert.deepEqual(s.kinds(), ["firing:cpu"]);
  const firing = s.notices[0] as AlertNotice;
  assert.equal(firing.alert.severity, "warning");
  assert.equal(firing.level, "warning");
  assert.match(firing.text, /^WARNING: CPU at 90% \(warning at 85%\)/);
  assert.equal(s.engine.firingBySeverity().warning, 1);
  assert.equal(s.state.alerts.get("cpu")?.state, "firing", "published to device state");

  await s.cpu(97); // escalation
  await s.clock.advance(10_000);
  assert.deepEqual(s.kinds(), ["firing:cpu", "escalated:cpu"]);

  await s.cpu(40);
  await s.clock.advance(30_000);
  assert.equal(s.notices.length, 2, "not resolved before clear_for");
  await s.clock.advance(40_000);
  assert.deepEqual(s.kinds(), ["firing:cpu", "escalated:cpu", "resolved:cpu"]);
  assert.match((s.notices[2] as AlertNotice).text, /^RESOLVED: CPU back to 40%/);
  assert.equal(s.state.alerts.has("cpu"), false);
  assert.deepEqual(
    s.engine.view().history.map((h) => h.state),
    ["resolved", "escalated", "firing"],
  );
});

test("no noise: a value oscillating around the threshold for ten simulated minutes gives ≤ 1 firing and 1 resolved", async (t) => {
  const s = setup();
  t.after(() => s.engine.stop());
  await s.engine.start();
  for (let i = 0; i < 60; i++) {
    await s.cpu(i % 2 ? 86 : 84); // hovering at 85 ± 1 every 10 s
    await s.clock.advance(10_000);
  }
  await s.cpu(50);
  await s.clock.advance(5 * 60_000);
  const firing = s.notices.filter((n) => n.kind === "firing").length;
  const resolved = s.notices.filter((n) => n.kind === "resolved").length;
  // Hysteresis keeps the raised level through the dips to 84, so it fires once (after `for`) and resolves once.
  assert.deepEqual(s.kinds(), ["firing:cpu", "resolved:cpu"], `got ${s.kinds().join(", ")}`);
  assert.ok(firing <= 1 && resolved <= 1);
});

test("flapping: a value that still flips often gives one flapping notice instead of a notification per flip", async (t) => {
  const s = setup({ rules: { cpu: { for: "0s", clear_for: "0s" } } });
  t.after(() => s.engine.stop());
  await s.engine.start();
  for (let i = 0; i < 20; i++) {
    await s.cpu(i % 2 ? 10 : 99); // flips every 30 s for ten minutes
    await s.clock.advance(30_000);
  }
  await s.cpu(10);
  await s.clock.advance(11 * 60_000); // stable longer than the flapping window
  const k = s.kinds();
  assert.deepEqual(k, ["firing:cpu", "resolved:cpu", "flapping:cpu", "resolved:cpu"], k.join(", "));
  assert.match((s.notices[3] as AlertNotice).alert.summary, /stopped flapping/);
  assert.ok(s.engine.view().history.some((h) => h.state === "flapping"));
});

test("silences: CPU is silent while creating_video (config default) and notifies once the encode ends if still high", async (t) => {
  const s = setup();
  t.after(() => s.engine.stop());
  await s.engine.start();
  await s.state.setDocument({ status: "creating_video" });
  for (let i = 0; i < 20; i++) {
    await s.cpu(99);
    await s.clock.advance(10_000);
  }
  assert.deepEqual(s.kinds(), []);
  const v = s.engine.view();
  assert.equal(v.firing[0]?.silenced, true, "still visible in the API, marked silenced");
  await s.state.setDocument({ status: "capturing" });
  assert.deepEqual(s.kinds(), ["firing:cpu"]);
});

test("API silences match a rule or source and expire", async (t) => {
  const s = setup();
  t.after(() => s.engine.stop());
  await s.engine.start();
  const sil = await s.engine.addSilence({
    sources: ["timelapse"],
    starts_at: s.clock.now(),
    ends_at: s.clock.now() + 60 * 60_000,
  });
  await s.state.publishEvent({
    time: new Date(s.clock.now()).toISOString(),
    level: "error",
    source: "timelapse",
    message: "capture failed",
    code: "CAP-001",
  });
  await s.state.publishEvent({
    time: new Date(s.clock.now()).toISOString(),
    level: "error",
    source: "manager",
    message: "backup failed",
    code: "BAK-1",
  });
  assert.deepEqual(s.kinds(), ["firing:events:manager:BAK-1"]);
  assert.equal(s.engine.view().silences.find((x) => x.id === sil.id)?.origin, "api");
  await s.clock.advance(61 * 60_000); // silence expired (events auto-resolve after 1h too)
  assert.ok(!s.engine.view().silences.some((x) => x.id === sil.id), "expired silence removed");
  assert.ok(s.kinds().includes("resolved:events:manager:BAK-1"));
});

test("error events: one alert per source+code, repeats deduplicated, an info event with the same code resolves it", async (t) => {
  const s = setup();
  t.after(() => s.engine.stop());
  await s.engine.start();
  const ev = (level: "error" | "critical" | "info" | "debug", message: string, code?: string) =>
    s.state.publishEvent({
      time: new Date(s.clock.now()).toISOString(),
      level,
      source: "timelapse",
      message,
      ...(code ? { code } : {}),
    });
  await ev("error", "video creation failed: ffmpeg exit 1", "VID-001");
  await ev("error", "video creation failed: ffmpeg exit 1", "VID-001");
  await ev("error", "video creation failed: ffmpeg exit 1", "VID-001");
  assert.deepEqual(s.kinds(), ["firing:events:timelapse:VID-001"]);
  assert.equal(s.notices[0]?.level, "error");
  assert.equal(s.notices[0]?.alert.fields?.code, "VID-001");
  await ev("critical", "camera gone", "CAP-002");
  assert.equal(s.notices[1]?.alert.severity, "critical");
  await ev("info", "video created", "VID-001");
  assert.deepEqual(s.kinds(), [
    "firing:events:timelapse:VID-001",
    "firing:events:timelapse:CAP-002",
    "resolved:events:timelapse:VID-001",
  ]);
  assert.equal(s.notices[2]?.level, "error", "a resolved message goes through the same level filters as its firing");
  await ev("debug", "frame stats", "VID-002");
  assert.equal(s.notices.length, 3, "below min_level: no alert");
});

test("a long-firing alert repeats at repeat_interval", async (t) => {
  const s = setup({ repeat_interval: "1h", rules: { temperature: { for: "0s" } } });
  t.after(() => s.engine.stop());
  await s.engine.start();
  await s.state.setCollector({
    collector: "thermal",
    ok: true,
    at: s.clock.now(),
    durationMs: 1,
    data: { cpu_temperature_celsius: 75 },
  });
  await s.clock.advance(3.5 * 60 * 60_000);
  assert.deepEqual(
    s.notices.map((n) => n.kind),
    ["firing", "repeat", "repeat", "repeat"],
  );
  assert.match((s.notices[1] as AlertNotice).text, /^STILL FIRING: Temperature at 75°C/);
  assert.equal(new Set(s.notices.map((n) => n.dedupeKey)).size, 4, "each repeat has its own dedupe key");
});

test("heartbeat stale per source: a deadline timer (no polling) fires when the heartbeat gets too old", async (t) => {
  const clock = new ManualClock();
  const beats = new Map([["timelapse", clock.now()]]);
  const s = setup({ rules: { heartbeat_stale: { sources: { timelapse: "2m" } } } }, { beats, clock });
  t.after(() => s.engine.stop());
  await s.engine.start();
  await s.clock.advance(119_000);
  assert.deepEqual(s.kinds(), []);
  await s.clock.advance(2_000);
  assert.deepEqual(s.kinds(), ["firing:heartbeat_stale:timelapse"]);
  beats.set("timelapse", s.clock.now());
  await s.engine.evaluate();
  assert.deepEqual(s.kinds(), ["firing:heartbeat_stale:timelapse", "resolved:heartbeat_stale:timelapse"]);
});

test("collector failing, under-voltage, camera failures and capture stalled come from the collectors' data", async (t) => {
  const s = setup({ rules: { collector_failing: { for: "1m" } } });
  t.after(() => s.engine.stop());
  await s.engine.start();
  const at = s.clock.now();
  await s.state.setCollector({
    collector: "rpi_power",
    ok: true,
    at,
    durationMs: 1,
    data: { now: { under_voltage: true, throttled: false } },
  });
  await s.state.setCollector({ collector: "camera", ok: true, at, durationMs: 1, data: { consecutive_failures: 10 } });
  await s.state.setCollector({
    collector: "schedule",
    ok: true,
    at,
    durationMs: 1,
    data: { stalled: true, reason: "no photo for 10 min" },
  });
  await s.state.setCollector({ collector: "redis", ok: false, at, durationMs: 1, data: {}, error: "ECONNREFUSED" });
  await s.clock.advance(61_000);
  const byId = new Map(s.notices.map((n) => [n.alert.id, n]));
  assert.equal(byId.get("throttling:under_voltage")?.alert.severity, "critical");
  assert.equal(byId.get("camera_failures")?.alert.severity, "critical");
  assert.match(byId.get("capture_stalled")?.text ?? "", /No capture during the capture window: no photo for 10 min/);
  assert.match(byId.get("collector_failing:redis")?.text ?? "", /ECONNREFUSED/);
  assert.equal(byId.has("throttling:throttled"), false);
});

test("disk thresholds per mount; preset seed000 uses 80/90", async (t) => {
  const s = setup({ preset: "seed000", rules: { disk: { for: "0s" } } });
  t.after(() => s.engine.stop());
  await s.engine.start();
  await s.state.setCollector({
    collector: "system",
    ok: true,
    at: s.clock.now(),
    durationMs: 1,
    data: {
      disks: [
        { mount: "/", usage_ratio: 0.82 },
        { mount: "/data", usage_ratio: 0.5 },
      ],
    },
  });
  assert.deepEqual(s.kinds(), ["firing:disk:/"]);
  assert.match(s.notices[0]?.text ?? "", /Disk \/ at 82% \(warning at 80%\)/);
});

test("restart: a firing alert persisted in state_dir does not notify again; its resolution still does", async (t) => {
  const dir = tempDir(t);
  const stateFile = join(dir, "alerts", "state.json");
  const a = setup({ rules: { cpu: { for: "0s", clear_for: "0s" } } }, { stateFile });
  await a.engine.start();
  await a.cpu(99);
  assert.deepEqual(a.kinds(), ["firing:cpu"]);
  const written = statSync(stateFile).mtimeMs;
  for (let i = 0; i < 5; i++) await a.cpu(98);
  assert.equal(statSync(stateFile).mtimeMs, written, "fresh values of an unchanged alert are not written to disk");
  a.engine.stop();
  assert.equal(JSON.parse(readFileSync(stateFile, "utf8")).instances[0].id, "cpu");

  const b = setup({ rules: { cpu: { for: "0s", clear_for: "0s" } } }, { stateFile });
  t.after(() => b.engine.stop());
  await b.engine.start();
  await b.cpu(99);
  assert.deepEqual(b.kinds(), [], "no second firing notification after restart");
  await b.cpu(10);
  assert.deepEqual(b.kinds(), ["resolved:cpu"]);
});

test("daily maintenance window (local time, wrapping midnight) mutes matching rules; what still fires is told when it ends", async (t) => {
  assert.equal(inDailyWindow(new Date(2026, 1, 8, 23, 30).getTime(), "22:00-06:00"), true);
  assert.equal(inDailyWindow(new Date(2026, 1, 8, 5, 59).getTime(), "22:00-06:00"), true);
  assert.equal(inDailyWindow(new Date(2026, 1, 8, 6, 0).getTime(), "22:00-06:00"), false);
  assert.equal(inDailyWindow(new Date(2026, 1, 8, 12, 0).getTime(), "09:00-17:00"), true);
  assert.equal(
    nextDailyEdge(new Date(2026, 1, 8, 23, 0).getTime(), "22:00-06:00"),
    new Date(2026, 1, 9, 6, 0).getTime(),
  );

  const clock = new ManualClock(new Date(2026, 1, 8, 21, 50).getTime());
  const s = setup(
    { rules: { temperature: { for: "0s" } }, silences: [{ rules: ["temperature"], daily: "22:00-06:00" }] },
    { clock },
  );
  t.after(() => s.engine.stop());
  await s.engine.start();
  await s.clock.advance(15 * 60_000); // 22:05, inside the window
  await s.state.setCollector({
    collector: "thermal",
    ok: true,
    at: s.clock.now(),
    durationMs: 1,
    data: { cpu_temperature_celsius: 75 },
  });
  assert.deepEqual(s.kinds(), [], "muted inside the window");
  assert.equal(s.engine.view().firing[0]?.silenced, true);
  await s.clock.advance(7 * 60 * 60_000); // 05:05: still inside
  assert.deepEqual(s.kinds(), []);
  await s.clock.advance(60 * 60_000); // 06:05: the window's end woke the engine
  assert.deepEqual(s.kinds(), ["firing:temperature"]);
  assert.equal(s.notices[0]?.alert.firing_since, new Date(new Date(2026, 1, 8, 22, 5).getTime()).toISOString());
});

test("wall-clock steps: `for` and clear_for count on the monotonic clock; a step fires and resolves nothing", async (t) => {
  const s = setup();
  t.after(() => s.engine.stop());
  await s.engine.start();
  await s.cpu(99); // pending: cpu's `for` has not passed
  await s.clock.advance(10_000);
  s.clock.stepWall(3_600_000); // NTP's first sync: an hour forward
  await s.cpu(99);
  await s.clock.advance(1000);
  assert.deepEqual(s.kinds(), [], "an hour on the wall clock is not an hour of high CPU");
  assert.equal(s.engine.view().pending.length, 1);
  for (let i = 0; i < 30 && s.kinds().length === 0; i++) {
    await s.cpu(99);
    await s.clock.advance(10_000);
  }
  assert.deepEqual(s.kinds(), ["firing:cpu"], "it fires once `for` has really passed");
  const firing = s.engine.view().firing[0];
  assert.ok(Date.parse(firing?.firing_since ?? "") > Date.UTC(2026, 1, 8, 12, 30), "timestamps read in the new time");
  s.clock.stepWall(-7_200_000); // and two hours back while firing and clear
  await s.cpu(10);
  await s.clock.advance(1000);
  assert.deepEqual(s.kinds(), ["firing:cpu"], "stepping back does not resolve it before clear_for");
});
