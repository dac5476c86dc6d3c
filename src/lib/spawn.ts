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

/**
 * Runs argv (never through a shell) in its own process group. Past `timeoutMs` the whole group is
 * killed with SIGKILL and the run is reported as "timeout". A program that cannot start is "error".
 */
export function runCommand(argv: string[], timeoutMs: number, label = argv.join(" ")): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let output = "";
    let timedOut = false;
    let done = false;
    const append = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.length > OUTPUT_MAX * 2) output = output.slice(-OUTPUT_MAX);
    };
    const finish = (r: Omit<RunResult, "action" | "argv" | "durationMs" | "output">) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ action: label, argv, durationMs: Date.now() - started, output: output.slice(-OUTPUT_MAX), ...r });
    };
    const [file, ...args] = argv;
    const child = spawn(file as string, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
    child.stdout.on("data", append);
    child.stderr.on("data", append);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, timeoutMs);
    child.on("error", (err: NodeJS.ErrnoException) => {
      finish({
        ok: false,
        result: "error",
        exitCode: null,
        signal: null,
        timedOut: false,
        error:
          err.code === "ENOENT"
            ? `could not start ${JSON.stringify(file)}: no such program`
            : `could not start ${JSON.stringify(file)}: ${err.message}`,
      });
    });
    child.on("exit", (code, signal) => {
      const settle = () => {
        if (timedOut) {
          finish({
            ok: false,
            result: "timeout",
            exitCode: code,
            signal,
            timedOut: true,
            error: `still running after its timeout of ${timeoutMs} ms: killed`,
          });
        } else if (code === 0) {
          finish({ ok: true, result: "ok", exitCode: 0, signal: null, timedOut: false });
        } else {
          finish({
            ok: false,
            result: "failed",
            exitCode: code,
            signal,
            timedOut: false,
            error: code !== null ? `exited with code ${code}` : `killed by ${signal}`,
          });
        }
      };
      // Let the pipes drain; a grandchild that escaped the group must not hold us up.
      if (child.stdout.readableEnded && child.stderr.readableEnded) settle();
      else {
        const t = setTimeout(settle, 200);
        child.on("close", () => {
          clearTimeout(t);
          settle();
        });
      }
    });
  });
}
