import { emitEvent } from "../protocol/events.ts";
import { updateStatus } from "../protocol/fragment.ts";
import { DEMO_JPEG } from "./photo.ts";

export interface SimulatorOptions {
  dir: string;
  /** Seconds between simulated captures. */
  intervalSeconds: number;
  /** Captures in one simulated "day" before a video is made. */
  photosPerDay: number;
  /** Chance that a capture fails (0–1). */
  failureRate: number;
  /** Where fake photos go (optional; none are written when unset). */
  photoDir?: string;
  /** Where the day's (tiny, fake) video goes at the end of each simulated day (optional). */
  videoDir?: string;
  /** A Python-logging-style log the program appends to, for /logs (optional). */
  logFile?: string;
  random?: () => number;
}

/**
 * A small timelapse program for `npm start`: writes through the protocol exactly as a real capture
 * loop would (status, today's counters, last_capture, an occasional failed capture, a video at the end of a day).
 */
export function startSimulator(opts: SimulatorOptions): { stop(): void } {
  const rnd = opts.random ?? Math.random;
  const src = "timelapse";
  const w = { dir: opts.dir };
  let captured = 0;
  let failures = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const today = () => new Date().toISOString().slice(0, 10);

  const log = async (level: "INFO" | "WARNING" | "ERROR", msg: string) => {
    if (!opts.logFile) return;
    const { appendFile } = await import("node:fs/promises");
    const t = new Date().toISOString().replace("T", " ").replace("Z", "").replace(".", ",");
    await appendFile(opts.logFile, `${t} - timelapse - ${level} - ${msg}\n`);
  };

  const schedule = (ms: number, fn: () => Promise<void>) => {
    if (stopped) return;
    timer = setTimeout(() => {
      fn().catch((err: Error) => process.stderr.write(`simulator: ${err.message}\n`));
    }, ms);
  };

  const capture = async () => {
    const ok = rnd() >= opts.failureRate;
    const now = new Date().toISOString();
    if (ok) {
      captured += 1;
      failures = 0;
      const filename = `${today().replaceAll("-", "")}_demo_${String(captured).padStart(4, "0")}.jpg`;
      if (opts.photoDir) {
        const { writeFile, mkdir } = await import("node:fs/promises");
        await mkdir(opts.photoDir, { recursive: true });
        await writeFile(`${opts.photoDir}/${filename}`, DEMO_JPEG);
      }
      await log("INFO", `captured ${filename}`);
      await updateStatus(
        src,
        {
          status: "capturing",
          today: { photos_captured: captured },
          last_capture: { time: now, filename, success: true, duration_ms: 800 + Math.round(rnd() * 900) },
        },
        w,
      );
    } else {
      failures += 1;
      await log("ERROR", `capture failed: camera timeout (attempt ${failures})`);
      await updateStatus(
        src,
        { last_capture: { time: now, success: false }, camera: { consecutive_failures: failures } },
        w,
      );
      await emitEvent(
        src,
        { level: "error", message: "capture failed: camera timeout", code: "CAP-001", fields: { attempt: failures } },
        w,
      );
    }
    if (captured >= opts.photosPerDay) {
      schedule(opts.intervalSeconds * 1000, makeVideo);
    } else {
      schedule(opts.intervalSeconds * 1000, capture);
    }
  };

  const makeVideo = async () => {
    await updateStatus(src, { status: "creating_video" }, w);
    await log("INFO", `creating video from ${captured} photos`);
    schedule(opts.intervalSeconds * 3000, async () => {
      if (opts.videoDir) {
        const { writeFile, mkdir } = await import("node:fs/promises");
        await mkdir(opts.videoDir, { recursive: true });
        await writeFile(`${opts.videoDir}/${today().replaceAll("-", "")}_demo_timelapse.mp4`, TINY_MP4);
      }
      await log("INFO", "video created");
      await updateStatus(
        src,
        {
          status: "idle",
          last_video: {
            date: today(),
            filename: `${today().replaceAll("-", "")}_demo_timelapse.mp4`,
            photos_used: captured,
          },
        },
        w,
      );
      await emitEvent(src, { level: "info", message: `video created from ${captured} photos` }, w);
      captured = 0;
      schedule(opts.intervalSeconds * 2000, startDay);
    });
  };

  const startDay = async () => {
    await updateStatus(
      "scheduler",
      {
        today: {
          date: today(),
          start_time: "07:00:00",
          end_time: "19:00:00",
          interval_seconds: opts.intervalSeconds,
          expected_photos: opts.photosPerDay,
        },
      },
      w,
    );
    await updateStatus(src, { status: "capturing", today: { photos_captured: 0 } }, w);
    schedule(opts.intervalSeconds * 1000, capture);
  };

  schedule(0, startDay);
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

// The first bytes of an MP4 (an ftyp box): enough for /latest/video to stream with Range support.
const TINY_MP4 = Buffer.concat([
  Buffer.from([0, 0, 0, 0x18]),
  Buffer.from("ftypisom"),
  Buffer.from([0, 0, 2, 0]),
  Buffer.from("isomiso2"),
]);
