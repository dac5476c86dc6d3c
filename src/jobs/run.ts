import { randomBytes } from "node:crypto";
import { constants } from "node:os";
import { withJitter } from "../lib/backoff.ts";
import { type ProcessGroup, spawnGroup } from "../lib/spawn.ts";
import { emitEvent } from "../protocol/events.ts";
import { parseFragment, writeFragment } from "../protocol/fragment.ts";
import { isPlainObject, type JsonObject } from "../protocol/json.ts";
import { type Level, MAX_FRAGMENT_BYTES } from "../protocol/names.ts";
import { layout } from "../protocol/paths.ts";
import { readRegularFile } from "../protocol/read-file.ts";
import { type AttemptRecord, type DeadLetterRecord, jobsLayout, openLedger } from "./ledger.ts";
import { acquireLock, type Lock, waitForLock } from "./lock.ts";

export interface RunOptions {
  name: string;
  /** argv: the command and its arguments (no shell). */
  command: string[];
  /** Attempts after the first. */
  retries: number;
  /** Wait before retry i (the last one repeats); ms. */
  backoffMs: number[];
  /** Kill an attempt after this long (SIGTERM, then SIGKILL 10 s later). */
  timeoutMs?: number;
  everyMs?: number;
  graceMs?: number;
  jobsDir: string;
  ledgerMaxBytes: number;
  statusDir: string;
  /** Wait for a running instance of the same job instead of refusing. */
  queue?: boolean;
  /** ±fraction of random jitter added to each backoff (default 0.2). */
  jitter?: number;
  /** Lines of output kept per attempt (default 20). */
  tailLines?: number;
  /** Where the wrapper's own messages go (stderr by default). */
  log?: (msg: string) => void;
}

export interface RunResult {
  exitCode: number;
  attempts: number;
  success: boolean;
  deadLettered: boolean;
}

/** Exit code of a command that could not be started (as a shell says "command not found"). */
export const EXIT_NOT_FOUND = 127;
/** Exit code after --timeout killed the command (as timeout(1)). */
export const EXIT_TIMEOUT = 124;
/** Exit code when the same job is already running and --queue was not given (EX_TEMPFAIL). */
export const EXIT_BUSY = 75;

const KILL_GRACE_MS = 10_000;
const MAX_LINE = 500;
const RECENT_FAILURES_KEPT = 50;

export const jobSource = (name: string) => `job-${name}`;

/** Keeps the last `n` lines of a byte stream. */
class TailBuffer {
  private lines: string[] = [];
  private partial = "";
  constructor(private readonly n: number) {}
  push(chunk: Buffer): void {
    const text = this.partial + chunk.toString("utf8");
    const parts = text.split("\n");
    this.partial = (parts.pop() ?? "").slice(-MAX_LINE * 4);
    for (const p of parts) this.lines.push(p.length > MAX_LINE ? `${p.slice(0, MAX_LINE)}…` : p);
    if (this.lines.length > this.n * 2) this.lines = this.lines.slice(-this.n);
  }
  result(): string[] {
    const all = this.partial ? [...this.lines, this.partial.slice(0, MAX_LINE)] : this.lines;
    return all.slice(-this.n).map((l) => l.replace(/\r$/, ""));
  }
}

interface AttemptOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  spawnError?: string;
  tail: string[];
  startedAt: Date;
  endedAt: Date;
}

/**
 * Runs a job the way `edgewatch run` does: one lock per job name, attempts with backoff and jitter,
 * every attempt in the ledger, a dead letter after the last failure, the status fragment
 * `job-<name>` (`jobs.<name>.last_*`) and events for failures. Returns the command's own exit code.
 */
export class JobRunner {
  private readonly o: Required<Pick<RunOptions, "jitter" | "tailLines" | "log">> & RunOptions;
  private readonly ledger;
  private readonly runId = `${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
  private fragment: JsonObject = {};
  private child: ProcessGroup | null = null;
  private stopSignal: NodeJS.Signals | null = null;
  private wakeBackoff: (() => void) | null = null;

  constructor(opts: RunOptions) {
    this.o = { jitter: 0.2, tailLines: 20, log: (m) => process.stderr.write(`edgewatch run: ${m}\n`), ...opts };
    this.ledger = openLedger(opts.jobsDir, opts.ledgerMaxBytes);
  }

  /** Forward a signal to the running attempt and stop retrying. */
  signal(sig: NodeJS.Signals): void {
    this.stopSignal = sig;
    this.child?.kill(sig);
    this.wakeBackoff?.();
  }

  async run(): Promise<RunResult> {
    const o = this.o;
    const lockPath = jobsLayout(o.jobsDir).lock(o.name);
    let lock: Lock;
    if (o.queue) {
      o.log(`waiting for any running "${o.name}" to finish (--queue)`);
      lock = await waitForLock(lockPath);
    } else {
      lock = await acquireLock(lockPath);
    }
    try {
      return await this.attempts();
    } finally {
      await lock.release();
    }
  }

  private async attempts(): Promise<RunResult> {
    const o = this.o;
    await this.loadFragment();
    const max = o.retries + 1;
    let last: AttemptOutcome | null = null;
    for (let attempt = 1; attempt <= max; attempt++) {
      await this.setJob({
        last_status: "running",
        last_start: new Date().toISOString(),
        last_attempt: attempt,
        max_attempts: max,
        pid: process.pid,
        command: o.command[0] ?? "",
        ...(o.everyMs !== undefined ? { every_s: o.everyMs / 1000, grace_s: (o.graceMs ?? 0) / 1000 } : {}),
      });
      const out = await this.once();
      last = out;
      const ok = out.exitCode === 0 && !out.timedOut;
      const willRetry = !ok && attempt < max && this.stopSignal === null;
      const waitMs = willRetry
        ? withJitter(o.backoffMs[Math.min(attempt - 1, o.backoffMs.length - 1)] ?? 0, o.jitter)
        : 0;
      const durationS = (out.endedAt.getTime() - out.startedAt.getTime()) / 1000;
      const record: AttemptRecord = {
        type: "attempt",
        job: o.name,
        run_id: this.runId,
        attempt,
        max_attempts: max,
        started_at: out.startedAt.toISOString(),
        ended_at: out.endedAt.toISOString(),
        duration_s: durationS,
        exit_code: out.exitCode,
        signal: out.signal,
        result: ok ? "success" : out.timedOut ? "timeout" : "failure",
        output_tail: out.spawnError ? [out.spawnError] : out.tail,
        ...(willRetry ? { retry_in_s: waitMs / 1000 } : {}),
        ...(o.everyMs !== undefined ? { every_s: o.everyMs / 1000, grace_s: (o.graceMs ?? 0) / 1000 } : {}),
      };
      await this.ledgerAppend(record);
      const how = describeOutcome(out);
      const runs = isPlainObject(this.job().runs) ? (this.job().runs as JsonObject) : {};
      const key = record.result;
      const common = {
        last_end: record.ended_at,
        last_duration_s: durationS,
        last_exit_code: out.exitCode,
        last_signal: out.signal,
        last_output: record.output_tail.slice(-5),
        runs: { ...runs, [key]: Number(runs[key] ?? 0) + 1 },
        pid: null,
      };
      if (ok) {
        await this.setJob({ ...common, last_status: "success", last_success: record.ended_at });
        if (attempt > 1)
          await this.event("info", "JOB-RECOVERED", `job ${o.name} succeeded on attempt ${attempt}/${max}`);
        return { exitCode: 0, attempts: attempt, success: true, deadLettered: false };
      }
      const recent = Array.isArray(this.job().recent_failures) ? (this.job().recent_failures as unknown[]) : [];
      const failureFields = {
        ...common,
        last_failure: record.ended_at,
        recent_failures: [...recent.filter((x) => typeof x === "string"), record.ended_at].slice(-RECENT_FAILURES_KEPT),
      };
      if (willRetry) {
        o.log(`attempt ${attempt}/${max} ${how}; retrying in ${formatMs(waitMs)}`);
        await this.setJob({
          ...failureFields,
          last_status: "retrying",
          next_attempt_at: new Date(Date.now() + waitMs).toISOString(),
        });
        await this.event(
          "warning",
          "JOB-RETRY",
          `job ${o.name} attempt ${attempt}/${max} ${how}; retrying in ${formatMs(waitMs)}`,
          {
            attempt,
            exit_code: out.exitCode,
            signal: out.signal,
          },
        );
        await this.sleep(waitMs);
        continue;
      }
      // last attempt (or stopped by a signal): dead letter
      const dead: DeadLetterRecord = {
        type: "dead_letter",
        job: o.name,
        run_id: this.runId,
        at: new Date().toISOString(),
        attempts: attempt,
        command: o.command,
        exit_code: out.exitCode,
        signal: out.signal,
        output_tail: record.output_tail,
      };
      await this.ledgerAppend(dead);
      try {
        await this.ledger.deadLetters.append(dead);
      } catch (err) {
        o.log(`warning: ${(err as Error).message}`);
      }
      const deadCount = Number(this.job().dead_letters ?? 0) + 1;
      await this.setJob({
        ...failureFields,
        last_status: "dead_letter",
        dead_letters: deadCount,
        next_attempt_at: null,
      });
      o.log(`attempt ${attempt}/${max} ${how}; giving up: dead-lettered in ${jobsLayout(o.jobsDir).deadLetters}`);
      await this.event(
        "error",
        "JOB-DEAD",
        `job ${o.name} failed after ${attempt} attempt${attempt === 1 ? "" : "s"} (${how}); dead-lettered`,
        {
          attempts: attempt,
          exit_code: out.exitCode,
          signal: out.signal,
          output: record.output_tail.slice(-5).join("\n"),
        },
      );
      return { exitCode: exitCodeOf(out), attempts: attempt, success: false, deadLettered: true };
    }
    return { exitCode: last ? exitCodeOf(last) : 1, attempts: max, success: false, deadLettered: false };
  }

  private async once(): Promise<AttemptOutcome> {
    const o = this.o;
    const startedAt = new Date();
    const tail = new TailBuffer(o.tailLines);
    const [cmd] = o.command as [string, ...string[]];
    // its own process group: a timeout or a forwarded signal reaches whatever the command forked
    const child = spawnGroup(o.command, {
      stdin: "inherit",
      onStdout: (c) => {
        tail.push(c);
        process.stdout.write(c);
      },
      onStderr: (c) => {
        tail.push(c);
        process.stderr.write(c);
      },
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs, graceMs: KILL_GRACE_MS } : {}),
      onTimeout: () => o.log(`attempt timed out after ${formatMs(o.timeoutMs as number)}: sending SIGTERM`),
    });
    this.child = child;
    const x = await child.exited;
    this.child = null;
    const spawnError = x.spawnError ? `cannot start ${JSON.stringify(cmd)}: ${x.spawnError.message}` : undefined;
    if (spawnError) o.log(spawnError);
    return {
      exitCode: spawnError ? EXIT_NOT_FOUND : x.code,
      signal: x.signal,
      timedOut: x.timedOut,
      tail: tail.result(),
      startedAt,
      endedAt: new Date(),
      ...(spawnError ? { spawnError } : {}),
    };
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopSignal) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      this.wakeBackoff = done;
      const self = this;
      function done() {
        clearTimeout(t);
        self.wakeBackoff = null;
        resolve();
      }
    });
  }

  private job(): JsonObject {
    const jobs = this.fragment.jobs;
    const j = isPlainObject(jobs) ? jobs[this.o.name] : undefined;
    return isPlainObject(j) ? j : {};
  }

  private async loadFragment(): Promise<void> {
    try {
      // the status dir is writable by others: a regular file only, shape-checked like the agent's reads
      const path = layout(this.o.statusDir).fragment(jobSource(this.o.name));
      this.fragment = parseFragment((await readRegularFile(path, MAX_FRAGMENT_BYTES)).buf, 0).data;
    } catch {
      this.fragment = {};
    }
    // counters lost with a rebooted tmpfs are restarted; last_success comes back from the ledger in the agent
  }

  /** Status and events are best effort: a job never fails because the status dir is unwritable. */
  private async setJob(patch: JsonObject): Promise<void> {
    this.fragment = {
      ...this.fragment,
      jobs: { [this.o.name]: { ...this.job(), ...patch } },
      updated_at: new Date().toISOString(),
    };
    try {
      await writeFragment(jobSource(this.o.name), this.fragment, { dir: this.o.statusDir });
    } catch (err) {
      this.o.log(`warning: status not written: ${(err as Error).message}`);
    }
  }

  private async event(level: Level, code: string, message: string, fields?: JsonObject): Promise<void> {
    try {
      await emitEvent(
        jobSource(this.o.name),
        { level, code, message, fields: { job: this.o.name, run_id: this.runId, ...fields } },
        { dir: this.o.statusDir },
      );
    } catch (err) {
      this.o.log(`warning: event not written: ${(err as Error).message}`);
    }
  }

  private async ledgerAppend(rec: AttemptRecord | DeadLetterRecord): Promise<void> {
    try {
      await this.ledger.ledger.append(rec);
    } catch (err) {
      this.o.log(`warning: ${(err as Error).message}`);
    }
  }
}

function describeOutcome(o: AttemptOutcome): string {
  if (o.spawnError) return `could not start (${o.spawnError})`;
  if (o.timedOut) return "timed out";
  if (o.signal) return `was killed by ${o.signal}`;
  return `failed with exit code ${o.exitCode}`;
}

/** The exit code `edgewatch run` returns for an outcome: the command's own, 128+N for signal N. */
export function exitCodeOf(o: { exitCode: number | null; signal: NodeJS.Signals | null; timedOut?: boolean }): number {
  if (o.timedOut) return EXIT_TIMEOUT;
  if (o.exitCode !== null) return o.exitCode;
  if (o.signal) return 128 + ((constants.signals as Record<string, number>)[o.signal] ?? 0);
  return 1;
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ""}`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? `${Math.floor((s % 3600) / 60)}m` : ""}`;
}
