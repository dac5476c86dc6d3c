import { z } from "zod";
import type { MetricFamily } from "../../lib/metrics.ts";
import type { DeviceEvent } from "../../protocol/events.ts";
import { parseTime } from "../../protocol/fragment.ts";
import { isPlainObject, type JsonObject } from "../../protocol/json.ts";
import { CameraTester, cameraTest } from "./camera-test.ts";
import type { CameraData, CameraTestData } from "./data.ts";
import { type Collector, defineCollector, enabled, essential, gauge, interval, num } from "./types.ts";

export type { CameraData, CameraTestData };

/** A failure reported both as last_capture.success=false and as a CAP-* event within this window is counted once. */
export const DEDUPE_MS = 5000;

interface Capture {
  at: number;
  ok: boolean;
  via: "status" | "event";
  /** Already matched with its twin from the other path. */
  paired?: boolean;
}

/**
 * The 0–100 camera health score (documented in docs/operations.md "Collectors"):
 *   score = clamp(round(100 × s − 10 × min(c, 5)), 0, 100)
 * s = successful / all captures among the last N, c = consecutive failures (latest first).
 * The original device dashboard's thresholds land on it: 5 consecutive failures in a window of 20 → 25, 10 → 0.
 * No capture seen yet → null (no data).
 */
export function healthScore(successRate: number | null, consecutiveFailures: number): number | null {
  if (successRate === null) return null;
  const raw = Math.round(100 * successRate - 10 * Math.min(consecutiveFailures, 5));
  return Math.max(0, Math.min(100, raw));
}

/** The last N capture attempts, fed by status-document changes and camera error events. */
export class CaptureLedger {
  private readonly captures: Capture[] = [];
  private lastDocTime: string | null = null;
  /** The writer's own consecutive-failure count (camera.consecutive_failures), if any. */
  private writerFailures = 0;
  lastError: CameraData["last_error"] = null;

  constructor(private readonly window: number) {}

  /** A new merged status document: record last_capture when its time changed. */
  fromDocument(doc: JsonObject): void {
    const lc = doc.last_capture;
    const cam = doc.camera;
    if (isPlainObject(cam) && typeof cam.consecutive_failures === "number")
      this.writerFailures = Math.max(0, Math.floor(cam.consecutive_failures));
    if (!isPlainObject(lc) || typeof lc.time !== "string" || typeof lc.success !== "boolean") return;
    if (lc.time === this.lastDocTime) return;
    const at = parseTime(lc.time);
    if (at === null) return;
    this.lastDocTime = lc.time;
    this.add({ at, ok: lc.success, via: "status" });
  }

  /** A camera error event (code CAP-*, or an error from a capture source) is a failed capture. */
  fromEvent(ev: DeviceEvent, captureSources: readonly string[] = []): void {
    if (!isCameraFailure(ev, captureSources)) return;
    const at = parseTime(ev.time) ?? Date.now();
    this.lastError = { time: ev.time, code: ev.code ?? null, message: ev.message, source: ev.source };
    this.add({ at, ok: false, via: "event" });
  }

  private add(c: Capture): void {
    if (!c.ok) {
      // The same failure may arrive both ways, in either order.
      const twin = this.captures.find(
        (x) => !x.ok && !x.paired && x.via !== c.via && Math.abs(x.at - c.at) <= DEDUPE_MS,
      );
      if (twin) {
        twin.paired = true; // neither copy may pair again
        return;
      }
    }
    this.captures.push(c);
    this.captures.sort((a, b) => a.at - b.at);
    if (this.captures.length > this.window) this.captures.splice(0, this.captures.length - this.window);
  }

  summary(now: number): Omit<CameraData, "test"> {
    const n = this.captures.length;
    const last = this.captures[n - 1] ?? null;
    let consecutive = 0;
    for (let i = n - 1; i >= 0 && !this.captures[i]?.ok; i--) consecutive++;
    // After an agent restart our ledger is short; the writer's own count may know more.
    if (last && !last.ok) consecutive = Math.max(consecutive, this.writerFailures);
    const successes = this.captures.filter((c) => c.ok).length;
    const rate = n ? successes / n : null;
    const lastOk = [...this.captures].reverse().find((c) => c.ok) ?? null;
    return {
      captures_considered: n,
      last_capture_time: last ? new Date(last.at).toISOString() : null,
      last_capture_age_seconds: last ? Math.max(0, (now - last.at) / 1000) : null,
      last_capture_success: last ? last.ok : null,
      last_success_time: lastOk ? new Date(lastOk.at).toISOString() : null,
      last_success_timestamp_seconds: lastOk ? lastOk.at / 1000 : null,
      consecutive_failures: consecutive,
      success_rate: rate === null ? null : Math.round(rate * 10_000) / 10_000,
      health_score: healthScore(rate, consecutive),
      last_error: this.lastError,
    };
  }
}

/**
 * A failed capture: an error or critical event with a CAP-* code, or one without a code from a
 * capture source (`collectors.camera.error_sources`). A capture source's event with another code
 * (VID-001, BAK-002) is about something else, not the camera.
 */
export function isCameraFailure(ev: DeviceEvent, captureSources: readonly string[] = []): boolean {
  if (ev.level !== "error" && ev.level !== "critical") return false;
  if (typeof ev.code === "string") return /^CAP-/i.test(ev.code);
  return captureSources.includes(ev.source);
}

const schema = () =>
  z
    .strictObject({
      enabled: enabled("camera"),
      interval: interval("30s", "camera"),
      essential: essential(false),
      window: z
        .number()
        .int()
        .min(1)
        .max(10_000)
        .default(20)
        .describe("Success rate and health score cover the last N captures"),
      error_sources: z
        .array(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, { error: 'expected a source name like "camera"' }))
        .default(["camera", "capture"])
        .describe("Programs whose error events without a code count as failed captures, like events with a CAP-* code"),
      test: cameraTest().optional(),
    })
    .prefault({})
    .describe("Camera health from the status document's last_capture and CAP-* error events");

export type CameraConfig = z.output<ReturnType<typeof schema>>;

export const cameraCollector = defineCollector("camera", schema, (c): Collector<CameraData> | null => {
  if (!c.enabled) return null;
  const ledger = new CaptureLedger(c.window);
  let tester: CameraTester | null = null;
  return {
    name: "camera",
    essential: c.essential,
    intervalMs: c.interval,
    reactive: true,
    attach(ctx) {
      ledger.fromDocument(ctx.state.document);
      const offStatus = ctx.state.on("status", (doc) => ledger.fromDocument(doc));
      const offEvent = ctx.state.on("event", (ev) => ledger.fromEvent(ev, c.error_sources));
      tester = c.test ? new CameraTester(c.test, ctx.state) : null;
      const offTest = tester?.start();
      return () => {
        offStatus();
        offEvent();
        offTest?.();
      };
    },
    async collect(ctx): Promise<CameraData> {
      ledger.fromDocument(ctx.state.document);
      return { ...ledger.summary(ctx.now()), test: tester ? tester.summary() : null };
    },
    metrics(d): MetricFamily[] {
      return [
        ...gauge(
          "edgewatch_last_capture_timestamp_seconds",
          "Unix time of the last successful capture",
          d.last_success_timestamp_seconds,
        ),
        ...gauge(
          "edgewatch_last_capture_success",
          "1 when the latest capture attempt succeeded",
          num(d.last_capture_success),
        ),
        ...gauge("edgewatch_camera_health_score", "Camera health 0–100 (see docs/operations.md)", d.health_score),
        ...gauge(
          "edgewatch_camera_consecutive_failures",
          "Failed captures since the last success",
          d.consecutive_failures,
        ),
        ...gauge("edgewatch_camera_success_ratio", "Successful share of the last N captures", d.success_rate),
        ...testMetrics(d.test),
      ];
    },
  };
});

function testMetrics(t: unknown): MetricFamily[] {
  if (!isPlainObject(t)) return [];
  return [
    ...gauge("edgewatch_camera_test_success", "1 when the last periodic camera test passed", num(t.last_ok)),
    ...gauge(
      "edgewatch_camera_test_consecutive_failures",
      "Periodic camera tests failed in a row",
      t.consecutive_failures,
    ),
  ];
}
