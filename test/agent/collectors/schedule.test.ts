import assert from "node:assert/strict";
import { test } from "node:test";
import { type ScheduleData, scheduleCollector } from "../../../src/agent/collectors/schedule.ts";
import { DeviceState } from "../../../src/agent/state.ts";
import { localDate, parseTimeOfDay, windowState } from "../../../src/lib/time-of-day.ts";
import type { JsonObject } from "../../../src/protocol/json.ts";
import { collectOnce, config } from "./helpers.ts";

/** Local wall-clock time on 2026-02-08 (works in any TZ). */
const at = (h: number, m = 0, s = 0) => new Date(2026, 1, 8, h, m, s).getTime();
const TODAY = "2026-02-08";

function doc(extra: JsonObject = {}): JsonObject {
  return {
    status: "capturing",
    today: {
      date: TODAY,
      photos_captured: 342,
      expected_photos: 750,
      start_time: "07:15:00",
      end_time: "17:30:00",
      interval_seconds: 45,
    },
    ...extra,
  };
}

async function run(d: JsonObject, now: number, collectors: JsonObject = {}): Promise<ScheduleData> {
  const cfg = config(collectors);
  const c = scheduleCollector(cfg);
  assert.ok(c);
  const state = new DeviceState();
  await state.setDocument(d);
  return collectOnce(c, cfg, state, () => now);
}

test("schedule: captured vs expected from seed 000's today block", async () => {
  const lastPhoto = new Date(at(14, 23, 45)).toISOString();
  const d = await run(doc({ last_capture: { time: lastPhoto, success: true } }), at(14, 24));
  assert.equal(d.date, TODAY);
  assert.equal(d.photos_captured_today, 342);
  assert.equal(d.photos_expected_today, 750);
  assert.equal(d.progress_ratio, 0.456);
  assert.equal(d.in_window, true);
  assert.equal(d.capture_interval_seconds, 45);
  assert.equal(d.stall_after_seconds, 300, "no photo for 5 minutes (longer than 3 × 45 s)");
  assert.equal(d.seconds_since_photo, 15);
  assert.equal(d.stalled, false);
  assert.equal(d.reason, null);
});

test("schedule: stalled inside the window after 5 minutes (or k × interval when longer) without a photo, with a reason", async () => {
  const lastPhoto = new Date(at(14, 0)).toISOString();
  const d = await run(doc({ last_capture: { time: lastPhoto, success: true } }), at(14, 5, 1));
  assert.equal(d.stalled, true);
  assert.equal(d.reason, "no photo for 301 s (limit 300 s) inside the capture window 07:15:00–17:30:00");
  // Exactly at the limit: not yet.
  assert.equal((await run(doc({ last_capture: { time: lastPhoto, success: true } }), at(14, 5))).stalled, false);
  // A failed capture is not a photo: still stalled.
  const failedLater = await run(
    doc({ last_capture: { time: new Date(at(14, 5)).toISOString(), success: false } }),
    at(14, 5, 1),
  );
  assert.equal(failedLater.stalled, true);
  // stall_after is configurable; a slow timelapse (stall_factor × interval longer) waits that long.
  const quick = { schedule: { stall_after: "2m" } };
  const at216 = await run(doc({ last_capture: { time: lastPhoto, success: true } }), at(14, 2, 16), quick);
  assert.equal(at216.stalled, true);
  assert.equal(at216.reason, "no photo for 136 s (limit 135 s = 3 × 45 s) inside the capture window 07:15:00–17:30:00");
  assert.equal(
    (
      await run(doc({ last_capture: { time: lastPhoto, success: true } }), at(14, 2, 16), {
        schedule: { stall_after: "2m", stall_factor: 4 },
      })
    ).stalled,
    false,
  );
});

test("schedule: not stalled outside the window, when the day's photos are done, or right after the window opens", async () => {
  const old = { last_capture: { time: new Date(at(6, 0)).toISOString(), success: true } };
  assert.equal((await run(doc(old), at(18, 0))).stalled, false);
  assert.equal((await run(doc(old), at(18, 0))).in_window, false);
  const done = doc(old);
  (done.today as JsonObject).photos_captured = 750;
  assert.equal((await run(done, at(12, 0))).stalled, false);
  // The window opened 5 minutes ago (not more): no photo yet today is fine.
  assert.equal((await run(doc(old), at(7, 20))).stalled, false);
  const late = await run(doc(old), at(7, 20, 1));
  assert.equal(late.stalled, true);
  assert.match(String(late.reason), /^no photo since the window opened for 301 s/);
});

test("schedule: yesterday's counters are not today's; config overrides the document", async () => {
  const stale = doc();
  (stale.today as JsonObject).date = "2026-02-07";
  const d = await run(stale, at(12, 0));
  assert.equal(d.date_stale, true);
  assert.equal(d.photos_captured_today, 0);
  const o = await run(doc(), at(12, 0), {
    schedule: { start: "13:00", end: "14:00", capture_interval: "10s", expected_photos: 360 },
  });
  assert.equal(o.in_window, false);
  assert.equal(o.photos_expected_today, 360);
  assert.equal(o.capture_interval_seconds, 10);
  assert.equal(o.window_start, "13:00");
});

test("schedule: without a window or interval, stalled is unknown (null), not false", async () => {
  const d = await run({ status: "capturing", today: { photos_captured: 5 } }, at(12, 0));
  assert.equal(d.stalled, null);
  assert.equal(d.in_window, null);
  assert.equal(d.photos_captured_today, 5);
  assert.equal(d.photos_expected_today, null);
  const c = scheduleCollector(config());
  const names = c?.metrics?.(d).map((f) => f.name);
  assert.deepEqual(names, ["edgewatch_photos_captured_today"]);
  // Garbage in the document: ignored field by field.
  const g = await run(
    { today: { photos_captured: "many", start_time: "7am", end_time: 5, interval_seconds: -3 } },
    at(12, 0),
  );
  assert.equal(g.photos_captured_today, null);
  assert.equal(g.window_start, null);
  assert.equal(g.stalled, null);
});

test("schedule: a window across midnight (night camera 22:00–06:00)", () => {
  const s = parseTimeOfDay("22:00") as number;
  const e = parseTimeOfDay("06:00") as number;
  assert.deepEqual(windowState(at(23, 0), s, e), { inside: true, openedAt: at(22, 0) });
  assert.deepEqual(windowState(at(2, 0), s, e), { inside: true, openedAt: new Date(2026, 1, 7, 22, 0).getTime() });
  assert.deepEqual(windowState(at(12, 0), s, e), { inside: false, openedAt: null });
  assert.equal(parseTimeOfDay("24:00"), null);
  assert.equal(parseTimeOfDay("07:15:00"), 7 * 3600 + 15 * 60);
  assert.equal(localDate(at(0, 0, 1)), TODAY);
});

test("schedule: metrics from the data", async () => {
  const d = await run(doc({ last_capture: { time: new Date(at(14, 0)).toISOString(), success: true } }), at(14, 6));
  const c = scheduleCollector(config());
  const m = Object.fromEntries((c?.metrics?.(d) ?? []).map((f) => [f.name, f.samples[0]?.value]));
  assert.deepEqual(m, {
    edgewatch_photos_captured_today: 342,
    edgewatch_photos_expected_today: 750,
    edgewatch_capture_in_window: 1,
    edgewatch_capture_stalled: 1,
  });
});
