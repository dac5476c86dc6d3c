import { z } from "zod";
import { duration, parseDuration } from "../../config/kit.ts";

/** duration() with a lower bound; the message quotes what the user wrote ("500ms"), not milliseconds. */
const durationAtLeast = (minMs: number, what: string) =>
  z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
    const ms = typeof v === "number" ? v * 1000 : parseDuration(v);
    if (ms === null) {
      ctx.addIssue({
        code: "custom",
        message: `expected a duration like "30s", "5m" or "1h30m", got ${JSON.stringify(v)}`,
      });
      return z.NEVER;
    }
    if (ms < minMs) {
      ctx.addIssue({
        code: "custom",
        message: `expected ${what} of at least ${minMs / 1000}s, got ${JSON.stringify(v)}`,
      });
      return z.NEVER;
    }
    return ms;
  });

const interval = (dflt: string, what: string) =>
  durationAtLeast(1000, "an interval").prefault(dflt).describe(`How often the ${what} collector runs`);

const enabled = (what: string) => z.boolean().default(true).describe(`Run the ${what} collector`);

const essential = (dflt: boolean) =>
  z
    .boolean()
    .default(dflt)
    .describe("Keep running in quiet mode (while the device is creating_video); other collectors pause");

/** Local time of day "HH:MM" or "HH:MM:SS". */
const timeOfDay = () =>
  z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, { error: 'expected a local time like "07:15" or "07:15:00"' });

const system = z
  .strictObject({
    enabled: enabled("system (CPU, load, memory, disk, uptime, reachability)"),
    interval: interval("30s", "system"),
    essential: essential(false),
    mounts: z
      .array(z.string().min(1))
      .default(["/"])
      .describe('Mount points whose free space is reported (fs.statfs), e.g. ["/", "/mnt/photos"]'),
    reachability: z
      .strictObject({
        host: z
          .string()
          .min(1)
          .optional()
          .describe("Host (name or address) to test with a TCP connect, e.g. your NAS or 1.1.1.1; unset: no check"),
        port: z.number().int().min(1).max(65535).default(443).describe("TCP port of the reachability check"),
        timeout: duration()
          .prefault("3s")
          .describe("Give up the TCP connect after this long (at most half of collectors.timeout)"),
      })
      .prefault({})
      .describe("Reachability of one host over TCP (no external commands)"),
  })
  .prefault({})
  .describe("CPU usage (/proc/stat deltas), load, memory (/proc/meminfo), disk per mount, uptime, reachability");

const thermal = z
  .strictObject({
    enabled: enabled("thermal"),
    interval: interval("30s", "thermal"),
    essential: essential(true),
  })
  .prefault({})
  .describe("Temperatures from /sys/class/thermal/thermal_zone*/temp (one small read; keeps running while encoding)");

const rpiPower = z
  .strictObject({
    enabled: enabled("Raspberry Pi power"),
    interval: interval("60s", "Raspberry Pi power"),
    essential: essential(true),
  })
  .prefault({})
  .describe("Raspberry Pi under-voltage and throttling (get_throttled, hwmon rpi_volt); no data on other hardware");

const cameraTest = z
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

const camera = z
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
    test: cameraTest.optional(),
  })
  .prefault({})
  .describe("Camera health from the status document's last_capture and CAP-* error events");

const schedule = z
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

const redis = z
  .strictObject({
    url: z
      .string()
      .regex(/^rediss?:\/\/.+/, { error: 'expected a Redis URL like "redis://127.0.0.1:6379"' })
      .refine((u) => URL.canParse(u), { error: 'expected a Redis URL like "redis://127.0.0.1:6379"' })
      .optional()
      .describe("Redis to watch (redis:// or rediss://, password in the URL or ${ENV}); unset: no Redis collector"),
    interval: interval("30s", "Redis"),
    essential: essential(false),
    timeout: duration().prefault("2s").describe("Connect + PING + INFO must finish within this"),
  })
  .prefault({})
  .describe("Redis connected, PING latency and memory; a Redis that is down is reported, not an error");

/** `collectors:` — Collectors: what the agent samples and how often. */
export const collectorsSection = z
  .strictObject({
    proc_root: z.string().min(1).default("/proc").describe("Where procfs is mounted (tests point it at fixtures)"),
    sys_root: z.string().min(1).default("/sys").describe("Where sysfs is mounted (tests point it at fixtures)"),
    timeout: durationAtLeast(100, "a timeout")
      .prefault("10s")
      .describe("A collector run taking longer fails with a timeout (capped at the collector's interval)"),
    system,
    thermal,
    rpi_power: rpiPower,
    camera,
    schedule,
    redis,
  })
  .prefault({})
  .describe("Collectors: what the agent samples and how often");

export type CollectorsConfig = z.output<typeof collectorsSection>;
export type CameraTestConfig = z.output<typeof cameraTest>;
