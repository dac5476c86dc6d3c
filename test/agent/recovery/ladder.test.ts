import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { StepEntry } from "../../../src/agent/recovery/watch.ts";
import { tempDir, waitFor } from "../../helpers/tools.ts";
import {
  processGone,
  processStart,
  processState,
  RESTART,
  readLines,
  readPid,
  readSteps,
  startCapture,
  startRecovery,
} from "./harness.ts";

const STALE_S = 1.5;
const INTERVAL_S = 0.2;

function setup(t: import("node:test").TestContext, mode: "ok" | "crash", extra: Record<string, unknown> = {}) {
  const root = tempDir(t, "ew-rec-");
  const statusDir = join(root, "run");
  const stateDir = join(root, "state");
  const pidfile = join(root, "capture.pid");
  const marks = join(root, "marks");
  const raw = {
    status_dir: statusDir,
    state_dir: stateDir,
    http: { token: "0123456789abcdef-test" },
    recovery: {
      startup_grace: 0,
      reboot_delay: 0,
      reboot: { type: "command", argv: ["sh", "-c", 'echo reboot >> "$0"', marks], timeout: "10s" },
      sd_notify: false,
      watches: [
        {
          name: "capture",
          source: "capture",
          stale_after: STALE_S,
          restart_wait: 3,
          restart: {
            type: "command",
            argv: ["sh", RESTART, mode, pidfile, marks, statusDir, "capture", String(INTERVAL_S)],
            timeout: "10s",
          },
          ...extra,
        },
      ],
    },
  };
  return { root, statusDir, stateDir, pidfile, marks, raw, log: join(stateDir, "recovery", "recovery.log") };
}

test("kill -9: the capture program is restarted and the watch recovers", { timeout: 60_000 }, async (t) => {
  const s = setup(t, "ok");
  startCapture(t, s.statusDir, "capture", INTERVAL_S, s.pidfile);
  const h = await startRecovery(t, s.raw);
  const first = (await waitFor("the capture program's pid", () => readPid(s.pidfile))) as number;
  await waitFor("a healthy watch", () => h.mod.watches[0]?.phase === "healthy", 20_000);

  process.kill(first, "SIGKILL");
  await waitFor("recovered step", () => readSteps(s.log).some((e) => e.step === "recovered"), 30_000);

  const steps = readSteps(s.log).map((e) => e.step);
  assert.deepEqual(steps, ["detected", "restart", "restart_result", "recovered"]);
  const second = readPid(s.pidfile);
  assert.ok(second && second !== first, "a new process runs");
  assert.ok(processState(second as number), "the new process is alive");
  assert.equal(readLines(s.marks).length, 1);
  const restart = readSteps(s.log).find((e) => e.step === "restart_result");
  assert.equal(restart?.result, "ok");
  // alert fired, then resolved; events went out
  await waitFor("the alert to resolve", () => h.agent.state.alerts.get("recovery:capture")?.state === "resolved");
  assert.deepEqual(
    h.alerts.filter((a) => a.id === "recovery:capture").map((a) => a.state),
    ["firing", "resolved"],
  );
  assert.ok(h.events.some((e) => e.code === "REC-RESTART" && e.level === "warning"));
  const fams = h.mod.metrics();
  const actions = fams.find((f) => f.name === "edgewatch_recovery_actions_total");
  assert.deepEqual(actions?.samples, [{ labels: { watch: "capture", action: "restart", result: "ok" }, value: 1 }]);
  const healthy = fams.find((f) => f.name === "edgewatch_watch_healthy");
  assert.deepEqual(healthy?.samples, [{ labels: { watch: "capture" }, value: 1 }]);
});

test("SIGSTOP (frozen): detected once the heartbeat is stale_after old, then restarted", {
  timeout: 60_000,
}, async (t) => {
  const s = setup(t, "ok");
  startCapture(t, s.statusDir, "capture", INTERVAL_S, s.pidfile);
  const h = await startRecovery(t, s.raw);
  const frozen = (await waitFor("the capture program's pid", () => readPid(s.pidfile))) as number;
  await waitFor("a healthy watch", () => h.mod.watches[0]?.phase === "healthy", 20_000);

  const frozenStart = processStart(frozen);
  process.kill(frozen, "SIGSTOP");
  t.after(() => {
    try {
      process.kill(frozen, "SIGKILL");
    } catch {}
  });
  await waitFor("the program to be stopped (not dead)", () => processState(frozen) === "T");
  const detected = (await waitFor(
    "the freeze to be detected",
    () => readSteps(s.log).find((e) => e.step === "detected"),
    30_000,
  )) as StepEntry;
  // Noticed by the deadline timer: the reason states the heartbeat's age, never younger than stale_after.
  const age = Number(/heartbeat ([\d.]+) s old/.exec(detected.reason)?.[1]);
  assert.ok(age >= STALE_S, `detected at age ${age} s (stale_after ${STALE_S} s)`);
  await waitFor("recovered step", () => readSteps(s.log).some((e) => e.step === "recovered"), 30_000);
  assert.ok(processGone(frozen, frozenStart), "the frozen process was killed by the restart");
  const fresh = readPid(s.pidfile);
  assert.ok(fresh && fresh !== frozen && processState(fresh));

  // GET /api/recovery shows the watch healthy again and the log tail with every step.
  const res = await fetch(`${h.agent.url}/api/recovery`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as {
    watches: { name: string; phase: string; restarts_in_window: number }[];
    log: { step: string }[];
  };
  assert.equal(body.watches[0]?.phase, "healthy");
  assert.equal(body.watches[0]?.restarts_in_window, 1);
  assert.deepEqual(
    body.log.map((e) => e.step),
    ["detected", "restart", "restart_result", "recovered"],
  );
  const bad = await fetch(`${h.agent.url}/api/recovery?lines=abc`);
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: string }).error, /lines: expected an integer from 1 to 100, got "abc"/);
});

test("crash loop: the ladder escalates to reboot exactly after max_restarts; the guard holds across a reboot", {
  timeout: 120_000,
}, async (t) => {
  const s = setup(t, "crash", { max_restarts: 2, window: "10m" });
  (s.raw.recovery as Record<string, unknown>).reboots_per_day = 1;
  // No program runs at all: it crashed before the agent started.
  const h = await startRecovery(t, s.raw);
  await waitFor("a reboot step", () => readSteps(s.log).some((e) => e.step === "reboot_result"), 60_000);
  assert.deepEqual(
    readLines(s.marks),
    ["restart", "restart", "reboot"],
    "two restarts, then the reboot action, in order",
  );
  assert.deepEqual(
    readSteps(s.log).map((e) => e.step),
    ["detected", "restart", "restart_result", "restart", "restart_result", "reboot", "reboot_start", "reboot_result"],
  );
  const reboot = readSteps(s.log).find((e) => e.step === "reboot");
  assert.match(reboot?.reason ?? "", /2 restarts within 600 s did not help/);
  assert.equal(h.mod.watches[0]?.phase, "rebooting");
  assert.ok(h.alerts.some((a) => a.severity === "critical" && a.state === "firing" && /rebooting/.test(a.summary)));
  assert.ok(h.events.some((e) => e.code === "REC-REBOOT" && e.level === "critical"));
  assert.deepEqual(h.mod.metrics().find((f) => f.name === "edgewatch_reboots_today")?.samples, [{ value: 1 }]);
  // The (test-harmless) reboot does not end this process: no further step while "rebooting".
  await h.stop();
  const before = readSteps(s.log).length;

  // Simulated reboot: a new agent with the same state dir. The daily limit (1) is used up.
  const h2 = await startRecovery(t, s.raw);
  await waitFor("the reboot guard to refuse", () => readSteps(s.log).some((e) => e.step === "reboot_refused"), 60_000);
  assert.deepEqual(readLines(s.marks), ["restart", "restart", "reboot", "restart", "restart"], "no second reboot");
  assert.deepEqual(
    readSteps(s.log)
      .slice(before)
      .map((e) => e.step),
    ["detected", "restart", "restart_result", "restart", "restart_result", "reboot_refused"],
  );
  // the log line is written before the step's event is handed on; the phase follows right after
  await waitFor("the watch to show refused", () => h2.mod.watches[0]?.phase === "refused", 30_000);
  const loud = h2.alerts.find((a) => a.state === "firing" && a.severity === "critical");
  assert.match(
    loud?.summary ?? "",
    /REBOOT REFUSED by the reboot guard \(1 reboots in the last 24 h \(limit reboots_per_day=1\)\)/,
  );
  const res = await fetch(`${h2.agent.url}/api/recovery`);
  const body = (await res.json()) as { reboot_guard: { reboots_last_24h: number; allowed: boolean } };
  assert.deepEqual([body.reboot_guard.reboots_last_24h, body.reboot_guard.allowed], [1, false]);
});
