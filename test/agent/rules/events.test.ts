import assert from "node:assert/strict";
import { test } from "node:test";
import type { Level } from "../../../src/protocol/names.ts";
import { setup } from "./helpers.ts";

function events(s: ReturnType<typeof setup>) {
  return (source: string, level: Level, message: string, code?: string) =>
    s.state.publishEvent({
      time: new Date(s.clock.now()).toISOString(),
      level,
      source,
      message,
      ...(code ? { code } : {}),
    });
}

test("capture errors: one or two in a row are only counted; the third in a row alerts once", async (t) => {
  const s = setup();
  t.after(() => s.engine.stop());
  await s.engine.start();
  const ev = events(s);
  await ev("timelapse", "error", "capture failed: camera timeout", "CAP-001");
  await ev("timelapse", "error", "capture failed: camera timeout", "CAP-001");
  assert.deepEqual(s.kinds(), [], "two capture errors notify nobody");
  await ev("timelapse", "error", "capture failed: camera timeout", "CAP-001");
  assert.deepEqual(s.kinds(), ["firing:events:timelapse:capture"]);
  const n = s.notices[0];
  assert.equal(n?.level, "error");
  assert.match(n?.text ?? "", /timelapse: 3 capture errors in a row, latest: capture failed: camera timeout/);
  await ev("timelapse", "error", "capture failed: camera timeout", "CAP-004");
  assert.equal(s.notices.length, 1, "a fourth one (another CAP code) does not notify again");
  // A successful capture in the status document clears it.
  await s.state.setDocument({ last_capture: { time: new Date(s.clock.now()).toISOString(), success: true } });
  await s.engine.idle();
  assert.deepEqual(s.kinds(), ["firing:events:timelapse:capture", "resolved:events:timelapse:capture"]);
});

test("capture errors: a success or a non-error event in between starts the count again", async (t) => {
  const s = setup();
  t.after(() => s.engine.stop());
  await s.engine.start();
  const ev = events(s);
  const ok = async (sec: number) => {
    await s.state.setDocument({
      last_capture: { time: new Date(s.clock.now() + sec * 1000).toISOString(), success: true },
    });
    await s.engine.idle();
  };
  await ev("timelapse", "error", "capture failed", "CAP-001");
  await ev("timelapse", "error", "capture failed", "CAP-001");
  await ok(1);
  await ev("timelapse", "error", "capture failed", "CAP-001");
  await ev("timelapse", "error", "capture failed", "CAP-001");
  await ev("timelapse", "info", "photo 0342 saved");
  await ev("timelapse", "error", "capture failed", "CAP-001");
  await ev("timelapse", "error", "capture failed", "CAP-001");
  assert.deepEqual(s.kinds(), [], "never three in a row");
  // Counts are per program: two from each of two cameras are not three in a row.
  await ev("cam2", "error", "capture failed", "CAP-001");
  assert.deepEqual(s.kinds(), []);
  await ev("timelapse", "error", "capture failed", "CAP-001");
  assert.deepEqual(s.kinds(), ["firing:events:timelapse:capture"]);
});

test("capture errors: an error without a code from a capture source counts; critical camera events alert at once", async (t) => {
  const s = setup({}, { config: { collectors: { camera: { error_sources: ["cam1_stream"] } } } });
  t.after(() => s.engine.stop());
  await s.engine.start();
  const ev = events(s);
  await ev("cam1_stream", "error", "frame timeout");
  await ev("cam1_stream", "error", "frame timeout");
  assert.deepEqual(s.kinds(), []);
  await ev("cam1_stream", "error", "frame timeout");
  assert.deepEqual(s.kinds(), ["firing:events:cam1_stream:capture"]);
  await ev("timelapse", "critical", "camera not detected", "CAP-010");
  assert.deepEqual(s.kinds(), ["firing:events:cam1_stream:capture", "firing:events:timelapse:CAP-010"]);
});

test("video, backup and disk errors alert at once; upload and schedule warnings notify at warning", async (t) => {
  const s = setup();
  t.after(() => s.engine.stop());
  await s.engine.start();
  const ev = events(s);
  await ev("timelapse", "error", "Video creation failed for 2026-02-08", "VID-001");
  await ev("manager", "error", "Backup failed for 2026-02-08: rsync exit 23", "BAK-001");
  await ev("disk_cleanup", "error", "Disk at 91% - emergency cleanup running", "DISK-CRIT");
  assert.deepEqual(s.kinds(), [
    "firing:events:timelapse:VID-001",
    "firing:events:manager:BAK-001",
    "firing:events:disk_cleanup:DISK-CRIT",
  ]);
  await ev("manager", "warning", "YouTube upload failed: quota exceeded", "YT-001");
  await ev("scheduler", "warning", "Schedule generation failed: no sunrise data");
  const warnings = s.notices.slice(3);
  assert.deepEqual(
    warnings.map((n) => [n.alert.id, n.level, n.alert.severity]),
    [
      ["events:manager:YT-001", "warning", "warning"],
      ["events:scheduler:Schedule generation failed: no sunrise data", "warning", "warning"],
    ],
  );
  // A retry that may still succeed is not a problem yet; its final failure is.
  await ev("transfer-nas", "warning", "transfer nas attempt 1/3 failed: timeout", "XFER-RETRY");
  assert.equal(s.notices.length, 5);
});

test("events.min_level: error restores the old behaviour (warnings are recorded, not alerted)", async (t) => {
  const s = setup({ rules: { events: { min_level: "error", capture_consecutive: 1 } } });
  t.after(() => s.engine.stop());
  await s.engine.start();
  const ev = events(s);
  await ev("manager", "warning", "YouTube upload failed", "YT-001");
  await ev("timelapse", "error", "capture failed", "CAP-001");
  assert.deepEqual(s.kinds(), ["firing:events:timelapse:capture"]);
});
