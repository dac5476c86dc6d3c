import { z } from "zod";
import { duration } from "../../config/kit.ts";
import { localDate, parseTimeOfDay, windowState } from "../../lib/time-of-day.ts";
import { parseTime } from "../../protocol/fragment.ts";
import { isPlainObject } from "../../protocol/json.ts";
import type { ScheduleData } from "./data.ts";
import { type Collector, defineCollector, enabled, essential, gauge, interval, num } from "./types.ts";

export type { ScheduleData };

const numOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** Local time of day "HH:MM" or "HH:MM:SS". */
const timeOfDay = () =>
  z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, { error: 'expected a local time like "07:15" or "07:15:00"' });

const schema = () =>
  z
    .strictObject({
      enabled: enabled("capture schedule"),
      interval: interval("30s", "capture schedule"),
      essential: essential(false),
      capture_interval: duration()
        .optional()
        .describe("Seconds between captures; default: the status document's today.interval_seconds"),
      start: timeOfDay()
        .optional()
        .describe("Capture window start, local time; default: the status document's today.start_time"),
      end: timeOfDay()
        .optional()
        .describe("Capture window end, local time; default: the status document's today.end_time"),
      expected_photos: z
        .number()
        .int()
        .min(0)
        .optional()
        .describe("Photos expected per day; default: the status document's today.expected_photos"),
      stall_after: duration()
        .prefault("5m")
        .describe("Capture is stalled when inside the capture window and no photo for this long"),
      stall_factor: z
        .number()
        .min(1)
        .max(1000)
        .default(3)
        .describe(
          "A slow timelapse is stalled only after stall_factor × capture interval, when that is longer than stall_after",
        ),
    })
    .prefault({})
    .describe("Photos captured vs expected today, and stall detection");

export type ScheduleConfig = z.output<ReturnType<typeof schema>>;

export const scheduleCollector = defineCollector("schedule", schema, (c): Collector<ScheduleData> | null => {
  if (!c.enabled) return null;
  return {
    name: "schedule",
    essential: c.essential,
    intervalMs: c.interval,
    reactive: true,
    async collect(ctx): Promise<ScheduleData> {
      const now = ctx.now();
      const doc = ctx.state.document;
      const today = isPlainObject(doc.today) ? doc.today : {};
      const date = localDate(now);
      const docDate = typeof today.date === "string" ? today.date : null;
      const stale = docDate !== null && docDate !== date;
      const captured = stale ? 0 : numOrNull(today.photos_captured);
      const expected = c.expected_photos ?? numOrNull(today.expected_photos);
      const startText = c.start ?? (typeof today.start_time === "string" ? today.start_time : null);
      const endText = c.end ?? (typeof today.end_time === "string" ? today.end_time : null);
      const start = parseTimeOfDay(startText);
      const end = parseTimeOfDay(endText);
      const intervalS =
        c.capture_interval !== undefined ? c.capture_interval / 1000 : numOrNull(today.interval_seconds);

      // Last photo actually taken: the document's successful last_capture, or what the camera collector saw.
      let lastOk: number | null = null;
      const lc = doc.last_capture;
      if (isPlainObject(lc) && lc.success === true) lastOk = parseTime(lc.time);
      const cam = ctx.state.collectors.get("camera")?.data.last_success_timestamp_seconds;
      if (typeof cam === "number") lastOk = Math.max(lastOk ?? 0, cam * 1000);

      let inWindow: boolean | null = null;
      let stalled: boolean | null = null;
      let reason: string | null = null;
      // No photo for stall_after (5 min) inside the window; a slow timelapse gets stall_factor intervals.
      const byFactor = intervalS && intervalS > 0 ? intervalS * c.stall_factor : 0;
      const stallAfter = Math.max(c.stall_after / 1000, byFactor);
      // Before the agent has read the status dir once (an empty document), a missing photo means
      // nothing yet: judging then would raise a false "stalled" at every agent start.
      const unread = Object.keys(doc).length === 0;
      if (start !== null && end !== null && !unread) {
        const w = windowState(now, start, end);
        inWindow = w.inside;
        const done = captured !== null && expected !== null && expected > 0 && captured >= expected;
        if (!w.inside || done || w.openedAt === null) stalled = false;
        else {
          const since = Math.max(lastOk ?? 0, w.openedAt);
          stalled = now - since > stallAfter * 1000;
          if (stalled) {
            const what = lastOk !== null && lastOk >= w.openedAt ? "no photo" : "no photo since the window opened";
            const limit =
              byFactor > c.stall_after / 1000
                ? `${stallAfter} s = ${c.stall_factor} × ${intervalS} s`
                : `${stallAfter} s`;
            reason = `${what} for ${Math.round((now - since) / 1000)} s (limit ${limit}) inside the capture window ${startText}–${endText}`;
          }
        }
      }
      return {
        date,
        document_date: docDate,
        date_stale: stale,
        photos_captured_today: captured,
        photos_expected_today: expected,
        progress_ratio: captured !== null && expected ? Math.round((captured / expected) * 10_000) / 10_000 : null,
        window_start: start === null ? null : startText,
        window_end: end === null ? null : endText,
        in_window: inWindow,
        capture_interval_seconds: intervalS,
        stall_after_seconds: stallAfter,
        last_photo_time: lastOk === null ? null : new Date(lastOk).toISOString(),
        seconds_since_photo: lastOk === null ? null : Math.max(0, (now - lastOk) / 1000),
        stalled,
        reason,
      };
    },
    metrics(d) {
      return [
        ...gauge(
          "edgewatch_photos_captured_today",
          "Photos captured today (status document today.photos_captured)",
          d.photos_captured_today,
        ),
        ...gauge("edgewatch_photos_expected_today", "Photos expected today", d.photos_expected_today),
        ...gauge("edgewatch_capture_in_window", "1 inside today's capture window", num(d.in_window)),
        ...gauge(
          "edgewatch_capture_stalled",
          "1 when inside the capture window and no photo for stall_factor × interval",
          num(d.stalled),
        ),
      ];
    },
  };
});
