import { appendFile, mkdir, rm, writeFile } from "node:fs/promises";
import { emitEvent } from "../protocol/events.ts";
import { heartbeat, updateStatus } from "../protocol/fragment.ts";
import { demoPhoto } from "./photo.ts";

/**
 * What the simulated program records: `timelapse` a photo per interval and a video at the end of a
 * short "day"; `gym` a video segment per interval (with a preview still); `surveillance` a motion
 * clip (with a snapshot) now and then, waiting in between.
 */
export const PROFILES = ["timelapse", "gym", "surveillance"] as const;
export type Profile = (typeof PROFILES)[number];

/** The status source (status.d/<source>.json) each profile writes; its watchdog watches it. */
export const PROFILE_SOURCE: Record<Profile, string> = {
  timelapse: "timelapse",
  gym: "recorder",
  surveillance: "motion",
};

export interface SimulatorOptions {
  dir: string;
  /** Seconds between simulated captures (photos, segments; motion is checked this often). */
  intervalSeconds: number;
  /** Captures in one simulated "day" before a video is made (timelapse). */
  photosPerDay: number;
  /** Chance that a capture fails (0–1). */
  failureRate: number;
  profile?: Profile;
  /** Seconds between heartbeats written between captures (default: none, each capture is one). */
  beatSeconds?: number;
  /** Camera model written into each photo's EXIF. */
  camera?: string;
  /** Where photos (timelapse), preview stills (gym) and snapshots (surveillance) go. */
  photoDir?: string;
  /** Where videos, segments and clips go. */
  videoDir?: string;
  /** A Python-logging-style log the program appends to, for /logs (optional). */
  logFile?: string;
  random?: () => number;
}

export interface Simulator {
  readonly source: string;
  readonly frozen: boolean;
  /** The program hangs: it stops writing anything (its heartbeat goes stale) until restart(). */
  freeze(): void;
  /** What `systemctl restart` does to it: a fresh start, writing again. */
  restart(): void;
  stop(): void;
}

/** Files kept per folder: a long demo does not fill the disk. */
const KEEP_FILES = 200;
const stamp = (d = new Date()) => d.toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "_");
const today = () => new Date().toISOString().slice(0, 10);

/**
 * A small capture program for the demos: writes through the protocol exactly as a real one would
 * (status, today's counters, last capture, an occasional failure as an event, real JPEGs with an
 * EXIF thumbnail, tiny MP4 stubs).
 */
export function startSimulator(opts: SimulatorOptions): Simulator {
  const rnd = opts.random ?? Math.random;
  const profile = opts.profile ?? "timelapse";
  const src = PROFILE_SOURCE[profile];
  const w = { dir: opts.dir };
  const every = opts.intervalSeconds * 1000;
  let captured = 0;
  let failures = 0;
  let stopped = false;
  let frozen = false;
  let run = 0; // bumped by freeze/restart: a step of an older run does nothing
  const timers = new Set<NodeJS.Timeout>();

  const log = async (level: "INFO" | "WARNING" | "ERROR", msg: string) => {
    if (!opts.logFile) return;
    const t = new Date().toISOString().replace("T", " ").replace("Z", "").replace(".", ",");
    await appendFile(opts.logFile, `${t} - ${src} - ${level} - ${msg}\n`);
  };
  const clear = () => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
  };
  const schedule = (ms: number, fn: () => Promise<void>) => {
    if (stopped || frozen) return;
    const mine = run;
    const t = setTimeout(() => {
      timers.delete(t);
      if (mine !== run || stopped || frozen) return;
      fn().catch((err: Error) => process.stderr.write(`simulator ${src}: ${err.message}\n`));
    }, ms);
    timers.add(t);
  };
  const beat = () => {
    if (!opts.beatSeconds) return;
    schedule(opts.beatSeconds * 1000, async () => {
      await heartbeat(src, w);
      beat();
    });
  };
  const written = new Map<string, string[]>();
  /** Writes a file; as an uploader would, keeps only the newest KEEP_FILES of each folder. */
  const save = async (dir: string | undefined, name: string, bytes: Buffer) => {
    if (!dir) return;
    await mkdir(dir, { recursive: true });
    await writeFile(`${dir}/${name}`, bytes);
    const list = written.get(dir) ?? [];
    written.set(dir, list);
    if (!list.includes(name)) list.push(name);
    for (const old of list.splice(0, Math.max(0, list.length - KEEP_FILES))) await rm(`${dir}/${old}`, { force: true });
  };
  const photo = () => demoPhoto({ model: opts.camera ?? `edgewatch demo ${profile}` });

  /** One capture attempt; false (and an error event) when the simulated camera times out. */
  const attempt = async (): Promise<boolean> => {
    if (rnd() >= opts.failureRate) {
      failures = 0;
      return true;
    }
    failures += 1;
    await log("ERROR", `capture failed: camera timeout (attempt ${failures})`);
    const now = new Date().toISOString();
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
    return false;
  };

  const timelapse = async () => {
    if (await attempt()) {
      captured += 1;
      const filename = `${today().replaceAll("-", "")}_demo_${String(captured).padStart(4, "0")}.jpg`;
      await save(opts.photoDir, filename, photo());
      await log("INFO", `captured ${filename}`);
      const last = {
        time: new Date().toISOString(),
        filename,
        success: true,
        duration_ms: 800 + Math.round(rnd() * 900),
      };
      await updateStatus(src, { status: "capturing", today: { photos_captured: captured }, last_capture: last }, w);
    }
    schedule(every, captured >= opts.photosPerDay ? makeVideo : timelapse);
  };

  const makeVideo = async () => {
    await updateStatus(src, { status: "creating_video" }, w);
    await log("INFO", `creating video from ${captured} photos`);
    schedule(every * 3, async () => {
      const filename = `${today().replaceAll("-", "")}_demo_timelapse.mp4`;
      await save(opts.videoDir, filename, TINY_MP4);
      await log("INFO", "video created");
      await updateStatus(src, { status: "idle", last_video: { date: today(), filename, photos_used: captured } }, w);
      await emitEvent(src, { level: "info", message: `video created from ${captured} photos` }, w);
      captured = 0;
      schedule(every * 2, startDay);
    });
  };

  const startDay = async () => {
    const day = { date: today(), start_time: "07:00:00", end_time: "19:00:00", interval_seconds: opts.intervalSeconds };
    await updateStatus("scheduler", { today: { ...day, expected_photos: opts.photosPerDay } }, w);
    await updateStatus(src, { status: "capturing", today: { photos_captured: 0 } }, w);
    schedule(0, timelapse); // the day's first photo at once: the capture window is already open
  };

  /** Gym: one video segment per interval, with a preview still. */
  const segment = async () => {
    if (await attempt()) {
      captured += 1;
      const name = `gym_${stamp()}_${String(captured).padStart(4, "0")}`;
      await save(opts.videoDir, `${name}.mp4`, TINY_MP4);
      await save(opts.photoDir, `${name}.jpg`, photo());
      await log("INFO", `segment ${name}.mp4 recorded`);
      const last = { time: new Date().toISOString(), filename: `${name}.jpg`, success: true };
      const video = { date: today(), filename: `${name}.mp4` };
      await updateStatus(
        src,
        { status: "capturing", today: { segments_recorded: captured }, last_capture: last, last_video: video },
        w,
      );
    }
    schedule(every, segment);
  };

  /** Surveillance: waits; on motion (one check in four) records a clip and a snapshot. */
  const motion = async () => {
    if (rnd() < 0.25 && (await attempt())) {
      captured += 1;
      const name = `motion_${stamp()}_${String(captured).padStart(4, "0")}`;
      await updateStatus(src, { status: "capturing" }, w);
      await save(opts.photoDir, `${name}.jpg`, photo());
      await save(opts.videoDir, `${name}.mp4`, TINY_MP4);
      await log("INFO", `motion: clip ${name}.mp4 saved`);
      const last = { time: new Date().toISOString(), filename: `${name}.jpg`, success: true };
      await updateStatus(
        src,
        {
          status: "waiting",
          today: { motion_clips: captured },
          last_capture: last,
          last_video: { date: today(), filename: `${name}.mp4` },
        },
        w,
      );
      await emitEvent(src, { level: "info", message: `motion clip ${captured} saved` }, w);
    }
    schedule(every, motion);
  };

  const begin = async () => {
    await log("INFO", "program started");
    if (profile === "timelapse") return startDay();
    await updateStatus(src, { status: profile === "gym" ? "capturing" : "waiting", today: { date: today() } }, w);
    schedule(profile === "gym" ? 0 : every, profile === "gym" ? segment : motion);
  };

  const start = () => {
    schedule(0, begin);
    beat();
  };
  start();
  return {
    source: src,
    get frozen() {
      return frozen;
    },
    freeze() {
      frozen = true;
      run += 1;
      clear();
    },
    restart() {
      frozen = false;
      run += 1;
      clear();
      start();
    },
    stop() {
      stopped = true;
      clear();
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
