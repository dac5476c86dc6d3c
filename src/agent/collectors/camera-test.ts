import { z } from "zod";
import { duration } from "../../config/kit.ts";
import { isPlainObject } from "../../protocol/json.ts";
import { cameraAction, type RecoveryAction } from "../recovery/actions/index.ts";
import type { DeviceState } from "../state.ts";
import type { CameraTestData, CameraTestResult } from "./data.ts";
import { durationAtLeast } from "./types.ts";

/** `collectors.camera.test`: the periodic camera test. */
export const cameraTest = () =>
  z
    .strictObject({
      argv: z
        .array(z.string().min(1))
        .min(1, {
          error: 'expected a command as an argv array like ["libcamera-still", "-n", "-t", "1", "-o", "/tmp/t.jpg"]',
        })
        .describe(
          'The test command, argv array, no shell; e.g. a 1-frame capture ["libcamera-still", "-n", "-t", "1", "-o", "/run/edgewatch/camera-test.jpg"]',
        ),
      expect_file: z
        .string()
        .min(1)
        .optional()
        .describe("When set, the test only passes if the command left this file, non-empty and newer than the start"),
      every: durationAtLeast(1000, "an interval").prefault("5m").describe("How often the camera is tested"),
      first_after: duration().prefault("30s").describe("The first test runs this long after the agent starts"),
      timeout: duration().prefault("30s").describe("A test still running after this is killed and counts as failed"),
    })
    .describe(
      "Periodic camera test; never while the device is encoding (creating_video) or the document says camera.busy, and while capturing only right after a photo",
    );

export type CameraTestConfig = z.output<ReturnType<typeof cameraTest>>;

/**
 * The periodic camera test (`collectors.camera.test`): a configured command (e.g. a 1-frame capture)
 * every `every`, driven by one deadline timer, never while the camera may be busy:
 * - status `creating_video` (encoding), or the document's `camera.busy: true`: wait for the next
 *   status change;
 * - status `capturing`: wait for the next photo (a new `last_capture.time`) and run right after it,
 *   in the gap before the next one.
 * Consecutive failures feed the `camera_test_failing` rule through the camera collector's data.
 */
export class CameraTester {
  private readonly action: RecoveryAction;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = false;
  private started = false;
  /** Due and waiting for the camera to be free. */
  private waiting = false;
  private lastCaptureTime: unknown;
  private lastRun = 0;
  private result: CameraTestResult | null = null;
  private failures = 0;
  private skipped: string | null = null;

  constructor(
    private readonly cfg: CameraTestConfig,
    private readonly state: DeviceState,
    private readonly now: () => number = Date.now,
  ) {
    this.action = cameraAction({
      type: "camera",
      argv: cfg.argv,
      timeout: cfg.timeout,
      ...(cfg.expect_file ? { expect_file: cfg.expect_file } : {}),
    });
  }

  start(): () => void {
    this.lastCaptureTime = this.captureTime();
    // The first timer starts with the first merged document (the agent publishes one once the
    // status dir is read): before it, an encoding device would look idle.
    const off = this.state.on("status", () => this.onStatus());
    return () => {
      this.stopped = true;
      off();
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
    };
  }

  /** For the camera collector's data. */
  summary(): CameraTestData {
    return {
      command: this.action.label,
      every_seconds: this.cfg.every / 1000,
      running: this.running,
      waiting_for: this.waiting ? this.skipped : null,
      last_run: this.lastRun ? new Date(this.lastRun).toISOString() : null,
      last_ok: this.result ? this.result.ok === true : null,
      consecutive_failures: this.failures,
      last_result: this.result,
    };
  }

  private captureTime(): unknown {
    const lc = this.state.document.last_capture;
    return isPlainObject(lc) ? lc.time : undefined;
  }

  /** Why the camera may be busy right now, or null when a test may run. */
  private busy(newPhoto: boolean): string | null {
    const cam = this.state.document.camera;
    if (isPlainObject(cam) && cam.busy === true) return "the camera to be free (camera.busy)";
    const s = this.state.status;
    if (s === "creating_video") return "video encoding to end";
    if (s === "capturing" && !newPhoto) return "the next photo (the test runs right after one)";
    return null;
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.waiting = true;
      this.tryRun(false);
    }, ms);
    this.timer.unref();
  }

  private onStatus(): void {
    if (!this.started) {
      this.started = true;
      this.lastCaptureTime = this.captureTime();
      this.arm(this.cfg.first_after);
      return;
    }
    const t = this.captureTime();
    const newPhoto = t !== undefined && t !== this.lastCaptureTime;
    this.lastCaptureTime = t;
    if (this.waiting) this.tryRun(newPhoto);
  }

  private tryRun(newPhoto: boolean): void {
    if (this.stopped || this.running) return;
    const why = this.busy(newPhoto);
    if (why) {
      this.skipped = why;
      return; // the next status change tries again
    }
    this.waiting = false;
    this.skipped = null;
    this.running = true;
    this.lastRun = this.now();
    this.action
      .run()
      .then((r) => {
        this.failures = r.ok ? 0 : this.failures + 1;
        this.result = {
          ok: r.ok,
          result: r.result,
          exit_code: r.exitCode,
          duration_ms: r.durationMs,
          error: r.error ?? null,
          output: r.output.slice(-500),
        };
      })
      .catch((err: Error) => {
        this.failures++;
        this.result = { ok: false, result: "error", error: err.message };
      })
      .finally(() => {
        this.running = false;
        this.arm(this.cfg.every);
      });
  }
}
