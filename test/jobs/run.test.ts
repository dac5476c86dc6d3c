import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { DeviceEvent } from "../../src/protocol/events.ts";
import { get, startTestAgent } from "../agent/core/helpers.ts";
import { requireTool, tempDir, waitFor } from "../helpers/tools.ts";
import { ew, ewAsync, promtoolProblems, readJsonLines } from "./helpers.ts";

type Alert = { rule: string; id: string; summary: string; state: string };
const firing = async (url: string): Promise<Alert[]> =>
  (await get(`${url}/api/alerts`)).json<{ firing: Alert[] }>().firing;

test("a failing job is retried, every attempt is in the ledger, then it is dead-lettered with an event and alerts", async (t) => {
  const agent = await startTestAgent(t);
  const events: DeviceEvent[] = [];
  agent.state.on("event", (ev) => {
    if (ev.source === "job-backup") events.push(ev);
  });
  const dirs = ["--dir", agent.statusDir, "--state-dir", agent.stateDir];
  const r = ew([
    "run",
    "--name",
    "backup",
    "--retries",
    "2",
    "--backoff",
    "100ms,200ms",
    ...dirs,
    "--",
    "sh",
    "-c",
    "echo copying; echo 'disk full' >&2; exit 3",
  ]);
  assert.equal(r.code, 3, `exits with the command's own code; stderr: ${r.err}`);
  assert.match(r.err, /attempt 1\/3 failed with exit code 3; retrying in \d+ms/);
  assert.match(r.err, /attempt 3\/3 failed with exit code 3; giving up: dead-lettered/);
  assert.equal(r.out.split("\n").filter((l) => l === "copying").length, 3, "the command's output passes through");

  const ledger = readJsonLines(join(agent.stateDir, "jobs", "ledger.jsonl"));
  const attempts = ledger.filter((e) => e.type === "attempt");
  assert.deepEqual(
    attempts.map((a) => [a.attempt, a.max_attempts, a.exit_code, a.result]),
    [
      [1, 3, 3, "failure"],
      [2, 3, 3, "failure"],
      [3, 3, 3, "failure"],
    ],
  );
  for (const a of attempts) {
    assert.deepEqual(a.output_tail, ["copying", "disk full"], "last lines of output recorded");
    assert.ok(Date.parse(a.ended_at as string) >= Date.parse(a.started_at as string));
    assert.equal(typeof a.duration_s, "number");
  }
  assert.equal(typeof attempts[0]?.retry_in_s, "number");
  assert.equal(attempts[2]?.retry_in_s, undefined, "no retry after the last attempt");
  const dead = readJsonLines(join(agent.stateDir, "jobs", "dead-letter.jsonl"));
  assert.equal(dead.length, 1);
  assert.equal(dead[0]?.attempts, 3);
  assert.deepEqual(dead[0]?.command, ["sh", "-c", "echo copying; echo 'disk full' >&2; exit 3"]);

  await waitFor("the job's events reach the agent", () => events.length >= 3, 30_000);
  assert.deepEqual(
    events.map((e) => [e.level, e.code]),
    [
      ["warning", "JOB-RETRY"],
      ["warning", "JOB-RETRY"],
      ["error", "JOB-DEAD"],
    ],
  );
  assert.match(events[2]?.message ?? "", /backup failed after 3 attempts \(failed with exit code 3\); dead-lettered/);

  const alerts = await waitFor(
    "dead-letter and 3-failures alerts",
    async () => {
      const f = await firing(agent.url);
      return f.some((a) => a.rule === "job_dead_letter") && f.some((a) => a.rule === "job_failures") ? f : null;
    },
    30_000,
  );
  assert.match(
    (alerts ?? []).find((a) => a.rule === "job_failures")?.summary ?? "",
    /backup failed 3 times in the last/,
  );

  const jobs = (await get(`${agent.url}/api/jobs`)).json<{
    jobs: Record<string, unknown>[];
    recent_attempts: unknown[];
    dead_letters: unknown[];
  }>();
  const backup = jobs.jobs.find((j) => j.name === "backup");
  assert.equal(backup?.last_status, "dead_letter");
  assert.deepEqual(backup?.runs, { failure: 3 });
  assert.equal(jobs.recent_attempts.length, 4, "three attempts and the dead letter, newest first");
  assert.equal(jobs.dead_letters.length, 1);
  assert.equal((await get(`${agent.url}/admin/jobs`)).status, 200, "the seed's path answers too");
  assert.equal((await get(`${agent.url}/api/jobs?limit=abc`)).status, 400);
  assert.equal(
    (await get(`${agent.url}/api/jobs?limit=0`)).json().error,
    'limit: expected a whole number from 1 to 1000, got "0"',
  );

  const metrics = (await get(`${agent.url}/metrics`)).body;
  assert.match(metrics, /edgewatch_job_runs_total\{[^}]*job="backup"[^}]*result="failure"[^}]*\} 3\n/);
  assert.match(metrics, /edgewatch_job_dead_letters_total\{[^}]*job="backup"[^}]*\} 1\n/);
  assert.match(metrics, /edgewatch_job_duration_seconds\{[^}]*job="backup"[^}]*\} [\d.e-]+\n/);
  if (requireTool(t, "promtool", "prometheus")) {
    assert.equal(promtoolProblems(metrics), "", "promtool check metrics accepts the job/queue/transfer families");
  }

  // the next run succeeds: the dead-letter alert resolves, the success is recorded
  assert.equal(ew(["run", "--name", "backup", ...dirs, "--", "true"]).code, 0);
  await waitFor(
    "the dead-letter alert resolves after a success",
    async () => !(await firing(agent.url)).some((a) => a.rule === "job_dead_letter"),
    30_000,
  );
  const m2 = (await get(`${agent.url}/metrics`)).body;
  const ts = /edgewatch_job_last_success_timestamp_seconds\{[^}]*job="backup"[^}]*\} ([\d.e+]+)\n/.exec(m2);
  assert.ok(ts, "last success metric present");
  assert.ok(Math.abs(Number(ts[1]) - Date.now() / 1000) < 600, "last success is recent");
});

test("a job that fails once and then succeeds exits 0; timeouts and signals give 124 and 128+N", (t) => {
  const dir = tempDir(t);
  const dirs = ["--dir", join(dir, "status"), "--state-dir", join(dir, "state")];
  const flag = join(dir, "flag");
  const r = ew([
    "run",
    "--name",
    "flaky",
    "--retries",
    "3",
    "--backoff",
    "50ms",
    ...dirs,
    "--",
    "sh",
    "-c",
    `if [ -f ${flag} ]; then echo ok; else touch ${flag}; exit 1; fi`,
  ]);
  assert.equal(r.code, 0, r.err);
  const frag = JSON.parse(readFileSync(join(dir, "status", "status.d", "job-flaky.json"), "utf8"));
  assert.equal(frag.jobs.flaky.last_status, "success");
  assert.equal(frag.jobs.flaky.last_attempt, 2);
  assert.deepEqual(frag.jobs.flaky.runs, { failure: 1, success: 1 });
  assert.ok(Date.parse(frag.jobs.flaky.last_success) > 0);

  const slow = ew(["run", "--name", "slow", "--timeout", "300ms", ...dirs, "--", "sleep", "30"]);
  assert.equal(slow.code, 124, "--timeout kills the attempt and exits 124");
  assert.match(slow.err, /timed out after 300ms/);
  const ledger = readJsonLines(join(dir, "state", "jobs", "ledger.jsonl"));
  const slowAttempt = ledger.find((e) => e.job === "slow" && e.type === "attempt");
  assert.equal(slowAttempt?.result, "timeout");
  assert.equal(slowAttempt?.signal, "SIGTERM");

  const killed = ew(["run", "--name", "killed", ...dirs, "--", "sh", "-c", "kill -9 $$"]);
  assert.equal(killed.code, 137, "killed by SIGKILL: 128 + 9");
  assert.match(killed.err, /was killed by SIGKILL/);

  const missing = ew(["run", "--name", "missing", ...dirs, "--", "/nonexistent/command", "x"]);
  assert.equal(missing.code, 127);
  assert.match(missing.err, /cannot start "\/nonexistent\/command": spawn \/nonexistent\/command ENOENT/);
});

test("a second run of the same job is refused while one runs (or waits with --queue); a stale lock is taken over", async (t) => {
  const dir = tempDir(t);
  const dirs = ["--dir", join(dir, "status"), "--state-dir", join(dir, "state")];
  const lock = join(dir, "state", "jobs", "locks", "encode.pid");
  // the first run holds the lock until the test releases it (no fixed sleep: a slow CLI start under load
  // must not let it finish before the second run is tried)
  const release = join(dir, "release");
  const first = ewAsync([
    "run",
    "--name",
    "encode",
    ...dirs,
    "--",
    "sh",
    "-c",
    `until [ -e '${release}' ]; do sleep 0.05; done`,
  ]);
  t.after(() => first.child.kill("SIGKILL"));
  await waitFor("the first run holds the lock", () => existsSync(lock), 30_000);
  const second = ew(["run", "--name", "encode", ...dirs, "--", "echo", "second"]);
  assert.equal(second.code, 75, second.err);
  assert.match(second.err, /refusing to start "encode": already running \(pid \d+ since .*\); use --queue to wait/);
  assert.doesNotMatch(second.out, /second/, "the refused command never ran");

  const queued = ewAsync(["run", "--name", "encode", "--queue", ...dirs, "--", "echo", "queued"]);
  t.after(() => queued.child.kill("SIGKILL"));
  writeFileSync(release, "");
  const [a, b] = await Promise.all([first.done, queued.done]);
  assert.equal(a.code, 0);
  assert.equal(b.code, 0, b.err);
  assert.match(b.out, /queued/);
  const attempts = readJsonLines(join(dir, "state", "jobs", "ledger.jsonl")).filter((e) => e.type === "attempt");
  assert.equal(attempts.length, 2);
  assert.ok(
    Date.parse(attempts[1]?.started_at as string) >= Date.parse(attempts[0]?.ended_at as string),
    "the queued run started after the first ended: no overlap",
  );
  assert.ok(!existsSync(lock), "the lock is released");

  // a lock left by a dead process (pid that does not exist) is stale and taken over
  mkdirSync(join(dir, "state", "jobs", "locks"), { recursive: true });
  writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 12345, start: "1", since: "2020-01-01T00:00:00Z" }));
  const after = ew(["run", "--name", "encode", ...dirs, "--", "echo", "after-crash"]);
  assert.equal(after.code, 0, after.err);
  assert.match(after.out, /after-crash/);
});

test("bad command lines: clear messages, exit 2, nothing run", (t) => {
  const dir = tempDir(t);
  const dirs = ["--dir", join(dir, "status"), "--state-dir", join(dir, "state")];
  const unknown = ew(["run", "--name", "x", "--retires", "3", ...dirs, "--", "true"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /edgewatch run: Unknown option '--retires'/);
  assert.match(unknown.err, /\nusage: edgewatch run --name NAME/);

  const noSep = ew(["run", "--name", "x", ...dirs, "true"]);
  assert.equal(noSep.code, 2);
  assert.match(noSep.err, /expected `--` before the command, .*; got no `--`/);

  const noName = ew(["run", ...dirs, "--", "true"]);
  assert.equal(noName.code, 2);
  assert.match(noName.err, /--name: expected a job name, got nothing/);

  const badName = ew(["run", "--name", "Bad Name", ...dirs, "--", "true"]);
  assert.match(badName.err, /--name: expected \[a-z0-9\]\[a-z0-9_-\]\{0,59\}, got "Bad Name"/);

  const badBackoff = ew(["run", "--name", "x", "--retries", "2", "--backoff", "5m,soon", ...dirs, "--", "true"]);
  assert.equal(badBackoff.code, 2);
  assert.match(badBackoff.err, /--backoff: expected a duration like "30s", "5m" or "1h30m", got "soon"/);

  const badRetries = ew(["run", "--name", "x", "--retries", "-1", ...dirs, "--", "true"]);
  assert.equal(badRetries.code, 2);

  const noCommand = ew(["run", "--name", "x", ...dirs, "--"]);
  assert.equal(noCommand.code, 2);
  assert.match(noCommand.err, /expected a COMMAND after `--`, got nothing/);

  const graceAlone = ew(["run", "--name", "x", "--grace", "1h", ...dirs, "--", "true"]);
  assert.match(graceAlone.err, /--grace: expected --every with it/);
  assert.ok(!existsSync(join(dir, "state", "jobs", "ledger.jsonl")), "no bad command line ran anything");

  const help = ew(["run", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /--backoff LIST/);
});

test("missed schedule: the dead-man alert fires for a declared job that never ran, resolves on success, fires again", async (t) => {
  const agent = await startTestAgent(t, {
    jobs: { schedules: [{ name: "nightly", every: "2s", grace: "1s" }] },
  });
  const dirs = ["--dir", agent.statusDir, "--state-dir", agent.stateDir];
  const missed = await waitFor(
    "job_missed_schedule for a job that never started",
    async () =>
      (await firing(agent.url)).find((a) => a.rule === "job_missed_schedule" && a.summary.includes("nightly")),
    30_000,
  );
  assert.match(missed?.summary ?? "", /Job nightly missed its schedule: never succeeded \(every 2 s, grace 1 s\)/);
  const overview = (await get(`${agent.url}/api/jobs`)).json<{ jobs: Record<string, unknown>[] }>();
  assert.equal(overview.jobs.find((j) => j.name === "nightly")?.overdue, true);

  assert.equal(ew(["run", "--name", "nightly", ...dirs, "--", "true"]).code, 0);
  await waitFor(
    "the alert resolves after a success",
    async () =>
      !(await firing(agent.url)).some((a) => a.rule === "job_missed_schedule" && a.summary.includes("nightly")),
    30_000,
  );
  await waitFor(
    "and fires again when the next success does not come (deadline timer, no new input)",
    async () =>
      (await firing(agent.url)).some((a) => a.rule === "job_missed_schedule" && a.summary.includes("last success")),
    30_000,
  );

  // --every/--grace on the command line declare a schedule too
  assert.equal(ew(["run", "--name", "hourly", "--every", "1s", "--grace", "1s", ...dirs, "--", "true"]).code, 0);
  await waitFor(
    "a job declared with --every alerts when it does not succeed again",
    async () => (await firing(agent.url)).some((a) => a.rule === "job_missed_schedule" && a.summary.includes("hourly")),
    30_000,
  );
  const metrics = (await get(`${agent.url}/metrics`)).body;
  assert.match(metrics, /edgewatch_job_overdue\{[^}]*job="hourly"[^}]*\} 1\n/);
});
