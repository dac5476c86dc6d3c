import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { validateConfig } from "../../../src/agent/config.ts";
import { ruleDefinitions } from "../../../src/agent/rules/index.ts";
import type { JsonObject } from "../../../src/protocol/json.ts";
import { setup } from "./helpers.ts";

const GB = 1e9;

test("every rule file's definitions are in the rule list", () => {
  const dir = join(import.meta.dirname, "../../../src/agent/rules");
  const listed = new Set(ruleDefinitions.map((d) => d.name));
  for (const f of readdirSync(dir)) {
    const src = readFileSync(join(dir, f), "utf8");
    for (const m of src.matchAll(/defineRule\(\{\s*name: "([a-z_]+)"/g)) {
      assert.ok(listed.has(m[1] as string), `${f}: rule ${m[1]} is not in src/agent/rules/index.ts`);
    }
  }
});

test("disk_free: warning below 5 GB after 5 minutes, critical below 1 GB, with hysteresis, per mount", async (t) => {
  const s = setup();
  t.after(() => s.engine.stop());
  await s.engine.start();
  const disks = (free: number, other = 50 * GB) =>
    s.state.setCollector({
      collector: "system",
      ok: true,
      at: s.clock.now(),
      durationMs: 1,
      data: {
        disks: [
          { mount: "/", free_bytes: free, usage_ratio: 0.5 },
          { mount: "/mnt/photos", free_bytes: other, usage_ratio: 0.1 },
        ],
      },
    });
  await disks(6 * GB);
  await s.clock.advance(10 * 60_000);
  assert.deepEqual(s.kinds(), []);
  await disks(4.9 * GB);
  await s.clock.advance(4 * 60_000);
  assert.deepEqual(s.kinds(), [], "not before 5 minutes");
  await s.clock.advance(60_000);
  assert.deepEqual(s.kinds(), ["firing:disk_free:/"]);
  assert.match(s.notices[0]?.text ?? "", /^WARNING: Disk \/: 4\.9 GB free \(warning below 5\.0 GB\)/);
  await disks(0.5 * GB);
  await s.clock.advance(1000);
  assert.deepEqual(s.kinds(), ["firing:disk_free:/", "escalated:disk_free:/"]);
  // Just above a limit is not clear yet (250 MB margin); well above is.
  await disks(5.1 * GB);
  await s.clock.advance(5 * 60_000);
  assert.equal(s.notices.length, 2);
  await disks(5.3 * GB);
  await s.clock.advance(2 * 60_000);
  assert.deepEqual(s.kinds().at(-1), "resolved:disk_free:/");
});

test('disk_free: sizes in config are read as bytes or "5GB"/"2GiB"; a bad size names what was expected', () => {
  const c = validateConfig(
    { alerts: { rules: { disk_free: { warning_below: "10GB", critical_below: "2GiB" } } } },
    "t",
  );
  const r = c.alerts.rules.disk_free as { warning_below: number; critical_below: number };
  assert.equal(r.warning_below, 10e9);
  assert.equal(r.critical_below, 2 * 1024 ** 3);
  assert.throws(
    () => validateConfig({ alerts: { rules: { disk_free: { warning_below: "lots" } } } }, "t"),
    /alerts\.rules\.disk_free\.warning_below: expected a size like "5GB", "500MB" or "2GiB", got "lots"/,
  );
});

test("redis_down: critical after a minute of Redis not answering; clears when it answers", async (t) => {
  const s = setup();
  t.after(() => s.engine.stop());
  await s.engine.start();
  const redis = (up: boolean) =>
    s.state.setCollector({
      collector: "redis",
      ok: true,
      at: s.clock.now(),
      durationMs: 1,
      data: { target: "127.0.0.1:6379", up, error: up ? null : "connect ECONNREFUSED 127.0.0.1:6379" },
    });
  await redis(true);
  await redis(false);
  await s.clock.advance(59_000);
  assert.deepEqual(s.kinds(), []);
  await s.clock.advance(1_000);
  assert.deepEqual(s.kinds(), ["firing:redis_down"]);
  assert.equal(s.notices[0]?.alert.severity, "critical");
  assert.match(s.notices[0]?.text ?? "", /Redis 127\.0\.0\.1:6379 is down: connect ECONNREFUSED/);
  await redis(true);
  assert.deepEqual(s.kinds(), ["firing:redis_down", "resolved:redis_down"]);
});

test("upload_success_rate: below 95 % for an hour fires; a shorter dip does not", async (t) => {
  const s = setup();
  t.after(() => s.engine.stop());
  await s.engine.start();
  const uploads = (u: JsonObject) => s.state.setDocument({ uploads: u });
  await uploads({ completed: 99, failed: 1 });
  await s.clock.advance(60_000);
  await uploads({ completed: 99, failed: 9 }); // 91.7 %
  await s.clock.advance(30 * 60_000);
  await uploads({ completed: 120, failed: 5 }); // 96 %: the dip ends
  await s.clock.advance(2 * 60 * 60_000);
  assert.deepEqual(s.kinds(), []);
  await uploads({ success_rate: 0.9 });
  await s.clock.advance(60 * 60_000);
  assert.deepEqual(s.kinds(), ["firing:upload_success_rate"]);
  assert.match(s.notices[0]?.text ?? "", /^WARNING: Upload success rate 90% \(below 95%\)/);
});

test("transfer_failures: 3 failed runs within 24 h fire; it clears when the oldest leaves the window", async (t) => {
  const s = setup();
  t.after(() => s.engine.stop());
  await s.engine.start();
  const iso = (agoH: number) => new Date(s.clock.now() - agoH * 3_600_000).toISOString();
  await s.state.setDocument({
    transfers: { nas: { recent_failures: [iso(30), iso(20), iso(2)], last_error: "rsync exit 12" } },
  });
  assert.deepEqual(s.kinds(), [], "one failure is older than 24 h: 2 in the window");
  await s.state.setDocument({
    transfers: { nas: { recent_failures: [iso(30), iso(20), iso(2), iso(0)], last_error: "rsync exit 12" } },
  });
  await s.engine.idle();
  assert.deepEqual(s.kinds(), ["firing:transfer_failures:nas"]);
  assert.match(s.notices[0]?.text ?? "", /Transfer nas failed 3 times in the last 24 h; last: rsync exit 12/);
  assert.equal(s.notices[0]?.alert.source, "transfer-nas");
  await s.clock.advance(4 * 3_600_000 + 1000); // the failure 20 h ago leaves the window
  assert.deepEqual(s.kinds(), ["firing:transfer_failures:nas", "resolved:transfer_failures:nas"]);
});

test("capture_failure_rate: more than 10 % of the recent captures failed (once enough were seen)", async (t) => {
  const s = setup();
  t.after(() => s.engine.stop());
  await s.engine.start();
  const cam = (rate: number, n: number) =>
    s.state.setCollector({
      collector: "camera",
      ok: true,
      at: s.clock.now(),
      durationMs: 1,
      data: { success_rate: rate, captures_considered: n, consecutive_failures: 0 },
    });
  await cam(0.5, 4);
  await cam(0.9, 20); // exactly 10 %: not above
  assert.deepEqual(s.kinds(), []);
  await cam(0.85, 20);
  assert.deepEqual(s.kinds(), ["firing:capture_failure_rate"]);
  assert.equal(s.notices[0]?.alert.severity, "critical");
  assert.match(s.notices[0]?.text ?? "", /15% of the last 20 captures failed \(limit 10%\)/);
  await cam(0.95, 20);
  assert.deepEqual(s.kinds(), ["firing:capture_failure_rate", "resolved:capture_failure_rate"]);
});
