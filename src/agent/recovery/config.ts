import { z } from "zod";
import { duration, percent } from "../../config/kit.ts";
import { type ActionSpec, actionSpec } from "./actions/index.ts";

const WATCH_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const watch = () =>
  z
    .strictObject({
      name: z
        .string()
        .regex(WATCH_NAME_RE, { error: 'expected a watch name like "recorder" ([a-z0-9][a-z0-9_-]{0,63})' })
        .describe("Watch name (label on metrics, alerts and log lines)"),
      source: z
        .string()
        .regex(WATCH_NAME_RE, { error: 'expected a status source name like "timelapse"' })
        .optional()
        .describe("Heartbeat = mtime of status.d/<source>.json (status protocol)"),
      heartbeat_file: z
        .string()
        .min(1)
        .optional()
        .describe(
          "Heartbeat = `timestamp` field (ISO 8601 or epoch seconds) of this JSON file, replaced whole by the program",
        ),
      pidfile: z.string().min(1).optional().describe("Process watch: alive while the pid in this file runs"),
      process: z
        .string()
        .min(1)
        .refine((v) => !v.includes("/"), {
          error: "expected a program name without a directory, e.g. ffmpeg or cam1_stream.py",
        })
        .optional()
        .describe(
          "Process watch: alive while a process runs whose name (/proc/PID/comm) or the base name of one of its arguments is exactly this, e.g. ffmpeg, or cam1_stream.py for `python3 /opt/cam/cam1_stream.py`",
        ),
      unit: z
        .string()
        .min(1)
        .optional()
        .describe("systemd unit watch: alive while `systemctl is-active UNIT` says active"),
      stale_after: duration()
        .default(30_000)
        .describe("Heartbeat older than this = frozen; noticed within stale_after + 1 s"),
      check_every: duration()
        .default(5000)
        .describe("Process and unit watches only: how often /proc or systemctl is asked (heartbeats need no polling)"),
      restart: actionSpec().optional().describe("The restart action; without one the watch only alerts"),
      camera_recover: actionSpec()
        .optional()
        .describe(
          "Camera recovery tried once per failure before the first restart (e.g. {type: camera, argv: [...]} re-initialising the camera); then the restarts",
        ),
      restart_wait: duration()
        .optional()
        .describe(
          "After a restart, how long to wait for a fresh heartbeat before the next step (default: stale_after)",
        ),
      max_restarts: z
        .number()
        .int()
        .min(0)
        .default(3)
        .describe("Restarts allowed within `window` before the next step"),
      window: duration().default(600_000).describe("Window over which restarts are counted"),
      escalate: z
        .enum(["reboot", "alert"])
        .default("reboot")
        .describe("Next step after max_restarts restarts within the window: reboot (guarded) or only alert"),
    })
    .refine(
      (w) => [w.source, w.heartbeat_file, w.pidfile, w.process, w.unit].filter((v) => v !== undefined).length === 1,
      { error: "expected exactly one of source, heartbeat_file, pidfile, process, unit" },
    )
    .describe("A program to keep alive");

const emergency = () =>
  z
    .strictObject({
      enabled: z.boolean().default(false).describe("Run the relief actions when CPU or memory stays critical"),
      cpu_percent: z
        .number()
        .min(0)
        .max(100)
        .default(95)
        .describe("CPU usage (%) that counts as critical (system collector)"),
      memory_percent: z
        .number()
        .min(0)
        .max(100)
        .default(95)
        .describe("Memory usage (%) that counts as critical (system collector)"),
      for: duration().default(300_000).describe("CPU or memory must stay critical this long before relief runs"),
      actions: z
        .array(actionSpec())
        .default([])
        .describe(
          "Relief actions, run in order, e.g. [{type: stop_unit, unit: uploader.service}, {type: drop_caches}]",
        ),
      restore: z
        .array(actionSpec())
        .default([])
        .describe("Run in order once CPU and memory are back below their limits (e.g. start the units again)"),
      cooldown: duration()
        .default(1_800_000)
        .describe(
          "After a relief run, the next one waits at least this long (a device that stays loaded is not hammered)",
        ),
    })
    .prefault({})
    .describe(
      "Emergency mode: relief actions when CPU or memory stays critical (off by default; never while encoding video)",
    );

const disk = () =>
  z
    .strictObject({
      paths: z
        .array(z.string().min(1))
        .default([])
        .describe("Folders whose oldest files may be deleted when the disk is critical; empty disables the safeguard"),
      critical_percent: percent().default(95).describe("Disk usage that starts a cleanup"),
      target_percent: percent().default(85).describe("Cleanup stops once usage is below this"),
      keep_newest: z.number().int().min(0).default(20).describe("Never delete the newest N files of each folder"),
      verified_only: z
        .boolean()
        .default(false)
        .describe(
          "Only delete files the transfer ledger shows verified at the backup destination (size and mtime must still match)",
        ),
      ledger: z
        .string()
        .min(1)
        .optional()
        .describe("Transfer ledger (JSON lines); default <state_dir>/transfers/verified.jsonl"),
      dry_run: z.boolean().default(false).describe("Log what would be deleted, delete nothing"),
      check_every: duration()
        .default(60_000)
        .describe("Backstop check interval (writes into the folders also trigger a check)"),
    })
    .refine((d) => d.target_percent < d.critical_percent, { error: "expected target_percent < critical_percent" })
    .prefault({})
    .describe("Disk safeguard: delete the oldest eligible files when the disk is critical");

export const recoverySection = () =>
  z
    .strictObject({
      enabled: z.boolean().default(true).describe("Run the recovery module (watches, control routes, disk safeguard)"),
      startup_grace: duration()
        .default(120_000)
        .describe(
          "No recovery step until this long after the system booted (a booting device is slow); an agent restarted later gets no grace, only each watch's stale_after",
        ),
      reboots_per_day: z
        .number()
        .int()
        .min(0)
        .default(3)
        .describe(
          "Reboot guard: at most this many automatic reboots per 24 h (persisted); past that, stay up and alert",
        ),
      log_file: z
        .string()
        .min(1)
        .optional()
        .describe("Recovery log (JSON lines, every step and its reason); default <state_dir>/recovery/recovery.log"),
      reboot: actionSpec()
        .default({ type: "command", argv: ["sudo", "/usr/bin/systemctl", "reboot"], timeout: 30_000 })
        .describe("The reboot action (last rung of the ladder and POST /api/system/reboot)"),
      reboot_delay: duration()
        .default(2000)
        .describe("A reboot starts this long after it is decided (the HTTP answer and the log line go out first)"),
      camera_test: actionSpec().optional().describe("Action behind POST /api/camera/test"),
      camera_recover: actionSpec().optional().describe("Action behind POST /api/camera/recover"),
      restart_services: z
        .array(actionSpec())
        .default([])
        .describe("Actions behind POST /api/system/restart-services, run in order"),
      watches: z
        .array(watch())
        .default([])
        .refine((ws) => new Set(ws.map((w) => w.name)).size === ws.length, {
          error: "expected every watch name to be unique",
        })
        .describe("Programs to keep alive (heartbeat, process or unit)"),
      disk: disk(),
      emergency: emergency(),
      sd_notify: z
        .boolean()
        .default(true)
        .describe(
          "Send READY=1, WATCHDOG=1 (at half WatchdogSec), RELOADING=1 and STOPPING=1 when run by systemd with Type=notify (whether or not recovery is enabled)",
        ),
    })
    .prefault({})
    .describe("Self-healing: watches, the escalation ladder, control actions, disk safeguard");

export type { ActionSpec };
export type RecoveryConfig = z.output<ReturnType<typeof recoverySection>>;
export type WatchConfig = RecoveryConfig["watches"][number];
export type DiskConfig = RecoveryConfig["disk"];
export type EmergencyConfig = RecoveryConfig["emergency"];
