import { closeSync, readSync } from "node:fs";
import { join } from "node:path";
import { JsonLinesFile } from "../lib/jsonl.ts";
import { openRegularFileSync } from "../protocol/read-file.ts";
import type { JobsConfig } from "./config.ts";

/** Where jobs keep their files: `jobs.dir`, else `<state_dir>/jobs`. */
export function jobsDir(config: { state_dir: string; jobs: Pick<JobsConfig, "dir"> }): string {
  return config.jobs.dir ?? join(config.state_dir, "jobs");
}

export const jobsLayout = (dir: string) => ({
  dir,
  ledger: join(dir, "ledger.jsonl"),
  deadLetters: join(dir, "dead-letter.jsonl"),
  locks: join(dir, "locks"),
  lock: (name: string) => join(dir, "locks", `${name}.pid`),
});

/** One attempt of one job run, as `edgewatch run` records it. */
export interface AttemptRecord {
  type: "attempt";
  job: string;
  /** Identifies the `edgewatch run` invocation (all its attempts share it). */
  run_id: string;
  attempt: number;
  max_attempts: number;
  started_at: string;
  ended_at: string;
  duration_s: number;
  exit_code: number | null;
  signal: string | null;
  result: "success" | "failure" | "timeout";
  /** The last lines the command wrote (stdout and stderr interleaved). */
  output_tail: string[];
  /** When a retry follows, the wait before it. */
  retry_in_s?: number;
  /** The schedule declared with --every/--grace (so the agent knows it after a reboot). */
  every_s?: number;
  grace_s?: number;
}

/** Written after the last attempt failed: the job needs a human (or a later run). */
export interface DeadLetterRecord {
  type: "dead_letter";
  job: string;
  run_id: string;
  at: string;
  attempts: number;
  command: string[];
  exit_code: number | null;
  signal: string | null;
  output_tail: string[];
}

export type LedgerRecord = AttemptRecord | DeadLetterRecord;

/** The jobs ledger of one jobs dir. */
export function openLedger(dir: string, maxBytes: number) {
  const l = jobsLayout(dir);
  return {
    ledger: new JsonLinesFile(l.ledger, maxBytes),
    deadLetters: new JsonLinesFile(l.deadLetters, maxBytes),
  };
}

export interface LedgerSummary {
  /** Each job's last success, epoch ms. */
  successes: Map<string, number>;
  /** Each job's newest declared --every/--grace, ms. */
  schedules: Map<string, { everyMs: number; graceMs: number }>;
}

/**
 * Each job's last success and declared schedule from the ledger's last 256 KiB, read once at
 * startup (the status fragments live on a tmpfs and are gone after a reboot; the ledger is not).
 * Sync on purpose: it runs once, before any timer, and is bounded.
 */
export function ledgerSummarySync(dir: string, maxBytes = 256 * 1024): LedgerSummary {
  const out: LedgerSummary = { successes: new Map(), schedules: new Map() };
  let fd: number;
  let size: number;
  try {
    ({
      fd,
      stat: { size },
    } = openRegularFileSync(jobsLayout(dir).ledger));
  } catch {
    return out; // missing, or not a regular file: no history to start from
  }
  try {
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    for (const line of buf.toString("utf8").split("\n")) {
      if (!line.includes('"attempt"')) continue;
      try {
        const v = JSON.parse(line);
        if (v?.type !== "attempt" || typeof v.job !== "string") continue;
        if (typeof v.every_s === "number" && v.every_s > 0) {
          out.schedules.set(v.job, { everyMs: v.every_s * 1000, graceMs: (Number(v.grace_s) || 0) * 1000 });
        }
        if (v.result !== "success") continue;
        const at = Date.parse(v.ended_at);
        if (!Number.isNaN(at) && at > (out.successes.get(v.job) ?? 0)) out.successes.set(v.job, at);
      } catch {
        // partial first line or a torn line
      }
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** Each job's last success (epoch ms) from the ledger; see ledgerSummarySync. */
export function lastSuccessesSync(dir: string, maxBytes = 256 * 1024): Map<string, number> {
  return ledgerSummarySync(dir, maxBytes).successes;
}
