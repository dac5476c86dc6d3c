import { execFile } from "node:child_process";
import { type FSWatcher, promises as fsp, watch } from "node:fs";
import { basename, dirname, join } from "node:path";
import { mkdirp } from "../../protocol/atomic.ts";
import { EdgewatchError } from "../../protocol/errors.ts";
import { readRegularFile } from "../../protocol/read-file.ts";
import type { WatchConfig } from "./config.ts";

/** A heartbeat file holds one small JSON object; anything bigger is not one. */
const HEARTBEAT_FILE_MAX_BYTES = 64 * 1024;

/**
 * What a watch listens to. Heartbeat probes are event-driven (inotify on the folder): they call
 * `beat(t)` with the heartbeat's time and the watch's deadline timer notices silence. Liveness
 * probes (process, unit) can only be asked: they check every `check_every` and call `beat(now)`
 * when alive and `down(reason)` when not.
 */
export interface Probe {
  readonly kind: "fragment" | "heartbeat_file" | "pidfile" | "process" | "unit";
  /** True for probes whose silence (no beat within stale_after) is the failure. */
  readonly heartbeat: boolean;
  readonly target: string;
  start(beat: (atMs: number) => void, down: (reason: string) => void, warn: (msg: string) => void): Promise<void>;
  stop(): void;
}

function watchName(dir: string, name: string, onEvent: () => void, warn: (msg: string) => void): FSWatcher {
  const w = watch(dir, { persistent: false }, (_type, filename) => {
    if (filename === null || filename.toString() === name) onEvent();
  });
  w.on("error", (err) => warn(`watching ${dir} failed: ${err.message}`));
  return w;
}

/** Heartbeat = mtime of status.d/<source>.json (every write or `edgewatch heartbeat` bumps it). */
class FragmentProbe implements Probe {
  readonly kind = "fragment";
  readonly heartbeat = true;
  private watcher: FSWatcher | null = null;
  private readonly file: string;
  constructor(
    private readonly dir: string,
    readonly target: string,
  ) {
    this.file = join(dir, `${target}.json`);
  }
  async start(beat: (t: number) => void, _down: unknown, warn: (msg: string) => void): Promise<void> {
    await mkdirp(this.dir);
    const read = () =>
      fsp.stat(this.file).then(
        (st) => beat(st.mtimeMs),
        () => {},
      );
    this.watcher = watchName(this.dir, basename(this.file), () => void read(), warn);
    await read();
  }
  stop(): void {
    this.watcher?.close();
  }
}

/** Parses a seed-001 heartbeat `timestamp`: ISO 8601 (naive = local time, as Python writes it) or epoch seconds. */
export function parseHeartbeatTimestamp(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v < 1e12 ? v * 1000 : v;
  if (typeof v !== "string") return null;
  // Python's isoformat() writes microseconds; Date.parse wants at most milliseconds.
  const t = Date.parse(v.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isFinite(t) ? t : null;
}

/** Heartbeat = the `timestamp` field of a JSON file replaced whole by the program (a Python service's heartbeat). */
class HeartbeatFileProbe implements Probe {
  readonly kind = "heartbeat_file";
  readonly heartbeat = true;
  private watcher: FSWatcher | null = null;
  constructor(readonly target: string) {}
  async start(beat: (t: number) => void, _down: unknown, warn: (msg: string) => void): Promise<void> {
    const dir = dirname(this.target);
    await mkdirp(dir);
    const read = async () => {
      let text: string;
      try {
        text = (await readRegularFile(this.target, HEARTBEAT_FILE_MAX_BYTES)).buf.toString("utf8");
      } catch (err) {
        // a symlink, FIFO, device or huge file is refused (it would block or leak): no beat from it
        if (err instanceof EdgewatchError) warn(`${err.message}; ignored`);
        return; // not there (yet): silence is what the deadline timer is for
      }
      let t: number | null = null;
      try {
        t = parseHeartbeatTimestamp((JSON.parse(text) as { timestamp?: unknown }).timestamp);
      } catch {
        // a non-atomic writer caught mid-write: the next event brings the whole file
        return;
      }
      if (t === null) {
        warn(`${this.target}: expected a "timestamp" field (ISO 8601 or epoch seconds); using the file's mtime`);
        const st = await fsp.stat(this.target).catch(() => null);
        if (st) beat(st.mtimeMs);
        return;
      }
      beat(t);
    };
    this.watcher = watchName(dir, basename(this.target), () => void read(), warn);
    await read();
  }
  stop(): void {
    this.watcher?.close();
  }
}

/** Liveness probes share the check loop: a timer every check_every, never overlapping. */
abstract class LivenessProbe implements Probe {
  readonly heartbeat = false;
  abstract readonly kind: Probe["kind"];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  constructor(
    readonly target: string,
    private readonly everyMs: number,
  ) {}
  protected abstract check(): Promise<string | null>;
  async start(beat: (t: number) => void, down: (reason: string) => void): Promise<void> {
    const run = async () => {
      const reason = await this.check().catch((err: Error) => `check failed: ${err.message}`);
      if (this.stopped) return;
      if (reason === null) beat(Date.now());
      else down(reason);
      this.timer = setTimeout(() => void run(), this.everyMs);
    };
    await run();
  }
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

/** Is /proc/PID a live (not zombie) process? */
async function pidAlive(pid: number): Promise<boolean> {
  try {
    const stat = await fsp.readFile(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

class PidfileProbe extends LivenessProbe {
  readonly kind = "pidfile";
  protected async check(): Promise<string | null> {
    let text: string;
    try {
      text = await fsp.readFile(this.target, "utf8");
    } catch {
      return `pidfile ${this.target} is missing`;
    }
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 0)
      return `pidfile ${this.target}: expected a process id, got ${JSON.stringify(text.trim().slice(0, 20))}`;
    return (await pidAlive(pid)) ? null : `process ${pid} (from ${this.target}) is not running`;
  }
}

/**
 * Does a process match a `process:` watch name? Yes when its /proc/PID/comm is the name (a compiled
 * program: `ffmpeg`), or when the base name of any of its argv elements is (an interpreted one:
 * `python3 /opt/cam/cam1_stream.py` matches `cam1_stream.py`, `sh /opt/cam/loop.sh` matches `loop.sh`).
 */
export function processMatches(name: string, comm: string, argv: readonly string[]): boolean {
  if (comm.trimEnd() === name) return true;
  return argv.some((arg) => arg !== "" && basename(arg) === name);
}

class ProcessNameProbe extends LivenessProbe {
  readonly kind = "process";
  protected async check(): Promise<string | null> {
    for (const name of await fsp.readdir("/proc")) {
      if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
      const comm = await fsp.readFile(`/proc/${name}/comm`, "utf8").catch(() => "");
      // argv only when comm did not already match: one read per process in the common case
      const argv =
        comm.trimEnd() === this.target
          ? []
          : (await fsp.readFile(`/proc/${name}/cmdline`, "utf8").catch(() => "")).split("\0");
      if (processMatches(this.target, comm, argv) && (await pidAlive(Number(name)))) return null;
    }
    return `no process named ${JSON.stringify(this.target)} is running (neither its /proc/PID/comm nor the base name of an argument)`;
  }
}

class UnitProbe extends LivenessProbe {
  readonly kind = "unit";
  protected check(): Promise<string | null> {
    return new Promise((resolve) => {
      execFile("systemctl", ["is-active", this.target], { timeout: 10_000 }, (err, stdout, stderr) => {
        const state = String(stdout).trim();
        if (state === "active") resolve(null);
        else {
          const why = String(stderr).trim().split("\n")[0] || err?.message.split("\n")[0] || "";
          resolve(`unit ${this.target} is ${state || `unknown${why ? ` (systemctl: ${why})` : ""}`}`);
        }
      });
    });
  }
}

export function createProbe(w: WatchConfig, statusDir: string): Probe {
  if (w.source) return new FragmentProbe(join(statusDir, "status.d"), w.source);
  if (w.heartbeat_file) return new HeartbeatFileProbe(w.heartbeat_file);
  if (w.pidfile) return new PidfileProbe(w.pidfile, w.check_every);
  if (w.process) return new ProcessNameProbe(w.process, w.check_every);
  return new UnitProbe(w.unit as string, w.check_every);
}
