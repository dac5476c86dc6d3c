// The device summary the hub derives from each push (src/hub/summary.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { derivedSample, deriveSummary, EMPTY_SUMMARY } from "../../src/hub/summary.ts";

test("summary: document fields, newest sample, a failed capture keeps the last good time, silence keeps values", () => {
  const s1 = deriveSummary(
    EMPTY_SUMMARY,
    {
      status: "capturing",
      today: { photos_captured: 10, expected_photos: 720 },
      last_capture: { time: "2026-11-30T07:00:00+01:00", success: true },
      disk_percent: 93.5,
      disk_free_bytes: 1234,
      cpu_temperature_celsius: 51,
      metrics: {
        uploads: {
          type: "counter",
          samples: [
            { labels: { result: "ok" }, value: 9 },
            { labels: { result: "failed" }, value: 1 },
          ],
        },
      },
    },
    [
      { t: 2, v: { "system.cpu_usage_ratio": 0.5, "thermal.cpu_temperature_celsius": 60 } },
      { t: 1, v: { "system.cpu_usage_ratio": 0.1, "system.memory_usage_ratio": 0.2 } },
    ],
  );
  assert.deepEqual(s1, {
    status: "capturing",
    captures_today: 10,
    captures_expected: 720,
    last_capture_at: "2026-11-30T06:00:00.000Z",
    disk_used_ratio: 0.935,
    disk_free_bytes: 1234,
    temperature_c: 60,
    cpu_ratio: 0.5,
    memory_ratio: null,
    upload_success_ratio: 0.9,
  });
  // a failed capture: the newest photo is still the earlier one; a push without a document keeps it all
  const s2 = deriveSummary(s1, { status: "error", last_capture: { time: "2026-11-30T07:05:00Z", success: false } }, []);
  assert.equal(s2.last_capture_at, "2026-11-30T06:00:00.000Z");
  assert.equal(s2.status, "error");
  assert.equal(s2.disk_used_ratio, null, "a document without disk fields: unknown now");
  assert.deepEqual(deriveSummary(s2, null, []), s2);
  // odd values are not taken for numbers
  const s3 = deriveSummary(EMPTY_SUMMARY, { status: 3, today: { photos_captured: "12" }, upload_success_ratio: 7 }, []);
  assert.equal(s3.status, null);
  assert.equal(s3.captures_today, null);
  assert.equal(s3.upload_success_ratio, 1, "clamped to 0..1");
  assert.deepEqual(derivedSample(s1), {
    "summary.disk_used_ratio": 0.935,
    "summary.upload_success_ratio": 0.9,
    "summary.captures_today": 10,
    "summary.captures_expected": 720,
  });
});
