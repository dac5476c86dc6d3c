import assert from "node:assert/strict";
import { test } from "node:test";
import { validateConfig } from "../../src/agent/config.ts";
import { ConfigError } from "../../src/config/load.ts";

test("jobs config: an empty config is valid with seed 002's thresholds", () => {
  const c = validateConfig({}, "device.yaml", {}).jobs;
  assert.equal(c.queues.depth_warning, 10);
  assert.equal(c.queues.worker_down_after, 300_000);
  assert.equal(c.queues.redis_url, undefined, "queue collectors are off until a Redis URL is set");
  assert.equal(c.failures_alert, 3);
  assert.equal(c.failures_window, 86_400_000);
  assert.deepEqual(c.schedules, []);
});

test("jobs config: durations, schedules and queues parse", () => {
  const c = validateConfig(
    {
      jobs: {
        schedules: [{ name: "nightly-backup", every: "24h", grace: "2h" }],
        queues: { redis_url: "redis://127.0.0.1:6379/2", interval: "10s", rq: ["video"], worker_down_after: 120 },
      },
    },
    "device.yaml",
    {},
  ).jobs;
  assert.deepEqual(c.schedules, [{ name: "nightly-backup", every: 86_400_000, grace: 7_200_000 }]);
  assert.equal(c.queues.interval, 10_000);
  assert.equal(c.queues.worker_down_after, 120_000);
});

test("jobs config: every bad value is reported at once, naming the key, what was expected and what was got", () => {
  let err: unknown;
  try {
    validateConfig(
      {
        jobs: {
          schedules: [{ name: "Nightly Backup", every: "daily" }],
          queues: { redis_url: "http://nas:6379", depth: 10 },
        },
      },
      "device.yaml",
      {},
    );
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError);
  const text = err.problems.join("\n");
  assert.match(
    text,
    /device\.yaml: jobs\.schedules\[0\]\.name: expected a job name like "nightly-backup" .*got "Nightly Backup"/,
  );
  assert.match(
    text,
    /device\.yaml: jobs\.schedules\[0\]\.every: expected a duration like "30s", "5m" or "1h30m", got "daily"/,
  );
  assert.match(
    text,
    /device\.yaml: jobs\.queues\.redis_url: expected a Redis URL like "redis:\/\/127\.0\.0\.1:6379\/0", got "http:\/\/nas:6379"/,
  );
  assert.match(text, /device\.yaml: jobs\.queues: unknown key "depth"|device\.yaml: jobs\.queues\.depth: unknown key/);
});
