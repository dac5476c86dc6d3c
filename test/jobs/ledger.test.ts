import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { lastSuccessesSync, ledgerSummarySync } from "../../src/jobs/ledger.ts";
import { JsonLinesFile, readTail } from "../../src/lib/jsonl.ts";
import { get, startTestAgent } from "../agent/core/helpers.ts";
import { startAgentProcess } from "../agent/hostile/agent-process.ts";
import { tempDir, waitFor } from "../helpers/tools.ts";
import { ew } from "./helpers.ts";

test("the ledger is bounded: past max bytes it rotates to .1 (one old file kept); torn lines are skipped", async (t) => {
  const dir = tempDir(t);
  const f = new JsonLinesFile(join(dir, "ledger.jsonl"), 4096);
  for (let i = 0; i < 200; i++) await f.append({ type: "attempt", job: "j", n: i, pad: "x".repeat(40) });
  const cur = readFileSync(f.path, "utf8");
  assert.ok(cur.length <= 4096 + 200, "current file stays near the bound");
  assert.ok(existsSync(`${f.path}.1`), "one rotated file");
  assert.ok(!existsSync(`${f.path}.2`));
  appendFileSync(f.path, '{"type":"attempt","job":"j","n":'); // a crash mid-write
  await f.append({ type: "attempt", job: "j", n: 200 });
  const tail = await readTail(f.path, 5);
  assert.equal(tail.at(-1)?.n, 200, "the line after a torn one is read");
  assert.ok(tail.every((r) => typeof r.n === "number"));
});

test("the agent takes each job's last success from the ledger (the status tmpfs is gone after a reboot)", async (t) => {
  const dir = tempDir(t);
  const f = new JsonLinesFile(join(dir, "ledger.jsonl"), 1 << 20);
  await f.append({ type: "attempt", job: "backup", result: "success", ended_at: "2026-11-24T02:00:00.000Z" });
  await f.append({ type: "attempt", job: "backup", result: "failure", ended_at: "2026-11-25T02:00:00.000Z" });
  await f.append({ type: "attempt", job: "upload", result: "success", ended_at: "2026-11-25T03:00:00.000Z" });
  const m = lastSuccessesSync(dir);
  assert.equal(m.get("backup"), Date.parse("2026-11-24T02:00:00.000Z"));
  assert.equal(m.get("upload"), Date.parse("2026-11-25T03:00:00.000Z"));
  assert.equal(lastSuccessesSync(join(dir, "missing")).size, 0);
});

test("an unwritable status dir never fails the job: it runs, warns, and exits with its own code", (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "a-file"), "not a directory");
  const statusDir = join(dir, "a-file", "status");
  const state = join(dir, "state");
  const r = ew(
    ["run", "--name", "x", "--dir", statusDir, "--state-dir", state, "--", "sh", "-c", "exit 4"],
    {},
    60_000,
  );
  assert.equal(r.code, 4, r.err);
  assert.match(
    r.err,
    /warning: status not written: cannot create status directory .*a-file\/status\/status.d: ENOTDIR/,
  );
  assert.match(r.err, /warning: event not written: cannot write event to .*ENOTDIR/);
  const ledger = readFileSync(join(state, "jobs", "ledger.jsonl"), "utf8");
  assert.match(ledger, /"exit_code":4/, "the ledger still has the attempt");
});

test("after a reboot (status tmpfs empty) the agent knows --every jobs and their last success from the ledger", async (t) => {
  const dir = tempDir(t);
  const state = join(dir, "state");
  const gone = join(dir, "old-tmpfs");
  const r = ew([
    "run",
    "--name",
    "upload",
    "--every",
    "1s",
    "--grace",
    "1s",
    "--dir",
    gone,
    "--state-dir",
    state,
    "--",
    "true",
  ]);
  assert.equal(r.code, 0, r.err);
  const summary = ledgerSummarySync(join(state, "jobs"));
  assert.deepEqual(summary.schedules.get("upload"), { everyMs: 1000, graceMs: 1000 });
  const agent = await startTestAgent(t, { state_dir: state }); // a fresh, empty status dir
  const alert = await waitFor(
    "missed schedule from the ledger alone",
    async () =>
      (await get(`${agent.url}/api/alerts`))
        .json<{ firing: { rule: string; summary: string }[] }>()
        .firing.find((a) => a.rule === "job_missed_schedule" && a.summary.includes("upload")),
    30_000,
  );
  assert.match(alert?.summary ?? "", /Job upload missed its schedule: last success \d+ s ago \(every 1 s, grace 1 s\)/);
});

test("a ledger that is not a regular file (FIFO, symlink, directory) reads as empty with one warning: /api/jobs and /admin/transfer-status answer 200", {
  timeout: 180_000,
}, async (t) => {
  const outside = join(tempDir(t, "ew-outside-"), "elsewhere.jsonl");
  writeFileSync(outside, `${JSON.stringify({ type: "dead_letter", job: "not-mine", secret: "outside" })}\n`);
  const a = await startAgentProcess(t, "", ({ stateDir }) => {
    mkdirSync(join(stateDir, "jobs"), { recursive: true });
    mkdirSync(join(stateDir, "transfers", "verified.jsonl"), { recursive: true }); // a directory
    execFileSync("mkfifo", [join(stateDir, "jobs", "ledger.jsonl")]); // no writer: an open would block
    symlinkSync(outside, join(stateDir, "jobs", "dead-letter.jsonl"));
  });
  const ledger = join(a.stateDir, "jobs", "ledger.jsonl");
  const dead = join(a.stateDir, "jobs", "dead-letter.jsonl");
  const verified = join(a.stateDir, "transfers", "verified.jsonl");
  type Jobs = { recent_attempts: unknown[]; dead_letters: unknown[]; warnings?: string[] };
  for (let i = 0; i < 3; i++) {
    const r = await a.json<Jobs>("/api/jobs");
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.recent_attempts, []);
    assert.deepEqual(r.body.dead_letters, [], "the symlink's target is not read");
    assert.deepEqual(r.body.warnings, [
      `${ledger}: expected a regular file, got a FIFO`,
      `${dead}: expected a regular file, got a symbolic link`,
    ]);
  }
  const tr = await a.json<{ recent_verified: unknown[]; warnings?: string[] }>("/admin/transfer-status");
  assert.equal(tr.status, 200, JSON.stringify(tr.body));
  assert.deepEqual(tr.body.recent_verified, []);
  assert.deepEqual(tr.body.warnings, [`${verified}: expected a regular file, got a directory`]);
  // One warning per file, however many requests read it, each naming the file and the reason
  // (the two job ledgers are read at once: sorted by path).
  const warned = () =>
    a
      .log()
      .split("\n")
      .filter((l) => l.includes('"ledger not read'))
      .map((l) => JSON.parse(l) as { file: string; reason: string });
  assert.deepEqual(
    warned()
      .map((w) => [w.file, w.reason])
      .sort(),
    [
      [dead, `${dead}: expected a regular file, got a symbolic link`],
      [ledger, `${ledger}: expected a regular file, got a FIFO`],
      [verified, `${verified}: expected a regular file, got a directory`],
    ],
  );
  assert.doesNotMatch(a.log(), /not-mine|outside"/);

  // The ledger made a regular file again: its records are served, without a warning.
  unlinkSync(ledger);
  writeFileSync(ledger, `${JSON.stringify({ type: "attempt", job: "backup", result: "success" })}\n`);
  const ok = await a.json<Jobs>("/api/jobs");
  assert.equal(ok.status, 200);
  assert.deepEqual(
    ok.body.recent_attempts.map((r) => (r as { job: string }).job),
    ["backup"],
  );
  assert.deepEqual(ok.body.warnings, [`${dead}: expected a regular file, got a symbolic link`]);
  assert.equal((await a.json("/health")).status, 200);
  assert.equal(await a.stop(), 0, a.log());
});
