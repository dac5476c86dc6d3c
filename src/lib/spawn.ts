import { spawn } from "node:child_process";

/** What one run did; every run is reported, a hanging command included. */
export interface RunResult {
  /** Label, e.g. "systemctl restart recorder.service". */
  action: string;
  argv: string[];
  ok: boolean;
  /** "ok" | "failed" | "timeout" | "error" (could not start). */
  result: "ok" | "failed" | "timeout" | "error";
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** Last few KiB of stdout + stderr. */
  output: string;
  /** Why it failed, in words. */
  error?: string;
}

const OUTPUT_MAX = 4096;

/** How a process started by `spawnGroup` ended. */
export interface GroupExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Its timeout ran out and the group was killed. */
  timedOut: boolean;
  /** It could not start (no such program, no permission). */
  spawnError?: NodeJS.ErrnoException;
}

export interface GroupOptions {
  /** Standard input: "ignore" (default) or "inherit" (a job wrapper passes its own on). */
  stdin?: "ignore" | "inherit";
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Past this, the whole group gets SIGTERM, then SIGKILL after `graceMs` (0: SIGKILL at once). */
  timeoutMs?: number;
  graceMs?: number;
  /** Told when the timeout fires (before the group is signalled). */
  onTimeout?: () => void;
}

/** A running process group: the leader's pid, a kill that reaches every process in it, its end. */
export interface ProcessGroup {
  readonly pid: number | undefined;
  /** Signal the whole group (the command and everything it forked). */
  kill(signal: NodeJS.Signals): void;
  readonly exited: Promise<GroupExit>;
}

/**
 * The one spawn with a timeout: argv (never through a shell) in its own process group, so a timeout
 * or a stop reaches the grandchildren a command forks, not only the command. `exited` settles once
 * the pipes are drained (or 200 ms after the leader exits, when a grandchild that escaped the group
 * still holds them).
 */
export function spawnGroup(argv: string[], o: GroupOptions = {}): ProcessGroup {
  const [file, ...args] = argv;
  const child = spawn(file as string, args, { stdio: [o.stdin ?? "ignore", "pipe", "pipe"], detached: true });
  const kill = (sig: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, sig);
    } catch {
      child.kill(sig);
    }
  };
  if (o.onStdout) child.stdout.on("data", o.onStdout);
  else child.stdout.resume();
  if (o.onStderr) child.stderr.on("data", o.onStderr);
  else child.stderr.resume();
  let timedOut = false;
  let killTimer: NodeJS.Timeout | null = null;
  const timer =
    o.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          o.onTimeout?.();
          if (!o.graceMs) return kill("SIGKILL");
          kill("SIGTERM");
          killTimer = setTimeout(() => kill("SIGKILL"), o.graceMs);
        }, o.timeoutMs)
      : null;
  const exited = new Promise<GroupExit>((resolve) => {
    let done = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      resolve({ code, signal, timedOut, ...(spawnError ? { spawnError } : {}) });
    };
    child.on("error", (err: NodeJS.ErrnoException) => {
      spawnError = err;
      if (child.pid === undefined) finish(null, null);
    });
    child.on("exit", (code, signal) => {
      if (child.stdout.readableEnded && child.stderr.readableEnded) return finish(code, signal);
      const t = setTimeout(() => finish(code, signal), 200);
      child.on("close", () => {
        clearTimeout(t);
        finish(code, signal);
      });
    });
  });
  return { pid: child.pid, kill, exited };
}

/**
 * Runs argv (never through a shell) in its own process group. Past `timeoutMs` the whole group is
 * killed with SIGKILL and the run is reported as "timeout". A program that cannot start is "error".
 */
export async function runCommand(argv: string[], timeoutMs: number, label = argv.join(" ")): Promise<RunResult> {
  const started = Date.now();
  let output = "";
  const append = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    if (output.length > OUTPUT_MAX * 2) output = output.slice(-OUTPUT_MAX);
  };
  const g = spawnGroup(argv, { onStdout: append, onStderr: append, timeoutMs });
  const x = await g.exited;
  const base = { action: label, argv, durationMs: Date.now() - started, output: output.slice(-OUTPUT_MAX) };
  if (x.spawnError) {
    const file = JSON.stringify(argv[0]);
    const error =
      x.spawnError.code === "ENOENT"
        ? `could not start ${file}: no such program`
        : `could not start ${file}: ${x.spawnError.message}`;
    return { ...base, ok: false, result: "error", exitCode: null, signal: null, timedOut: false, error };
  }
  if (x.timedOut)
    return {
      ...base,
      ok: false,
      result: "timeout",
      exitCode: x.code,
      signal: x.signal,
      timedOut: true,
      error: `still running after its timeout of ${timeoutMs} ms: killed`,
    };
  if (x.code === 0) return { ...base, ok: true, result: "ok", exitCode: 0, signal: null, timedOut: false };
  return {
    ...base,
    ok: false,
    result: "failed",
    exitCode: x.code,
    signal: x.signal,
    timedOut: false,
    error: x.code !== null ? `exited with code ${x.code}` : `killed by ${x.signal}`,
  };
}
