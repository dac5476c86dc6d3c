import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { validateConfig } from "../../../src/agent/config.ts";
import { parseHeartbeatTimestamp } from "../../../src/agent/recovery/probes.ts";
import { ConfigError } from "../../../src/config/load.ts";
import { SdNotify } from "../../../src/lib/sdnotify.ts";
import { runCommand } from "../../../src/lib/spawn.ts";
import { requireTool, tempDir, waitFor } from "../../helpers/tools.ts";
import { FIXTURES, readSteps, startRecovery } from "./harness.ts";

test("runCommand: argv without a shell, output kept, a missing program is an error, a hang is killed", {
  timeout: 30_000,
}, async () => {
  const ok = await runCommand(["echo", "a; rm -rf /"], 5000);
  assert.equal(ok.result, "ok");
  assert.equal(ok.output, "a; rm -rf /\n", "arguments are never interpreted by a shell");
  const fail = await runCommand(["sh", "-c", "echo oops >&2; exit 4"], 5000);
  assert.deepEqual(
    [fail.result, fail.exitCode, fail.error, fail.output],
    ["failed", 4, "exited with code 4", "oops\n"],
  );
  const missing = await runCommand(["/no/such/program"], 5000);
  assert.equal(missing.result, "error");
  assert.match(missing.error ?? "", /could not start "\/no\/such\/program": no such program/);
  // A hang whose child also hangs: the whole process group is killed.
  const hang = await runCommand(["sh", "-c", "sleep 300 & sleep 300"], 500);
  assert.equal(hang.result, "timeout");
  assert.equal(hang.timedOut, true);
  assert.match(hang.error ?? "", /still running after its timeout of 500 ms: killed/);
});

test("sd_notify: READY=1 then WATCHDOG=1 at half WatchdogSec, through a real unix datagram socket", {
  timeout: 30_000,
}, async (t) => {
  if (!requireTool(t, "systemd-notify", "systemd") || !requireTool(t, "/usr/bin/python3", "python3")) return;
  const dir = tempDir(t, "ew-notify-");
  const sock = join(dir, "notify.sock");
  const py = spawn("/usr/bin/python3", [join(FIXTURES, "notify-socket.py"), sock], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  t.after(() => py.kill("SIGKILL"));
  const lines: string[] = [];
  py.stdout.setEncoding("utf8").on("data", (d: string) => lines.push(...d.split("\n").filter(Boolean)));
  await waitFor("the socket", () => lines.includes("listening"));
  let alive = true;
  const sd = new SdNotify(() => alive, { NOTIFY_SOCKET: sock, WATCHDOG_USEC: "600000" });
  t.after(() => sd.stop());
  assert.equal(sd.watchdogMs, 600);
  sd.start();
  await waitFor("READY=1", () => lines.some((l) => l.startsWith("READY=1|MAINPID=")));
  await waitFor("two WATCHDOG=1 pings", () => lines.filter((l) => l === "WATCHDOG=1").length >= 2, 20_000);
  alive = false; // a hung agent stops pinging; systemd then restarts it
  assert.equal(sd.lastError, null);
  // Not under systemd: nothing is sent, nothing is armed.
  const off = new SdNotify(() => true, {});
  off.start();
  assert.equal(off.enabled, false);
  // WATCHDOG_PID naming another process: READY only, no watchdog pings from us.
  assert.equal(
    new SdNotify(() => true, { NOTIFY_SOCKET: sock, WATCHDOG_USEC: "1000000", WATCHDOG_PID: "1" }).watchdogMs,
    null,
  );
});

test("seed-001 heartbeat file: Python isoformat timestamps; a stopped writer is detected and alerted", {
  timeout: 30_000,
}, async (t) => {
  assert.equal(parseHeartbeatTimestamp("2026-01-02T03:04:05.123456"), new Date(2026, 0, 2, 3, 4, 5, 123).getTime());
  assert.equal(parseHeartbeatTimestamp("2026-01-02T03:04:05Z"), Date.UTC(2026, 0, 2, 3, 4, 5));
  assert.equal(parseHeartbeatTimestamp(1700000000), 1700000000000);
  assert.equal(parseHeartbeatTimestamp("yesterday"), null);

  const root = tempDir(t, "ew-hbf-");
  const file = join(root, "recorder_heartbeat.json");
  const beat = () => writeFileSync(file, JSON.stringify({ timestamp: new Date().toISOString(), state: "recording" }));
  beat();
  const h = await startRecovery(t, {
    status_dir: join(root, "run"),
    state_dir: join(root, "state"),
    recovery: {
      sd_notify: false,
      startup_grace: 0,
      watches: [{ name: "recorder", heartbeat_file: file, stale_after: 1 }],
    },
  });
  const timer = setInterval(beat, 100);
  t.after(() => clearInterval(timer));
  await waitFor("healthy", () => h.mod.watches[0]?.phase === "healthy");
  clearInterval(timer); // the writer stops
  await waitFor("an alert", () => h.agent.state.alerts.get("recovery:recorder")?.state === "firing", 20_000);
  const alert = h.agent.state.alerts.get("recovery:recorder");
  assert.equal(alert?.severity, "critical");
  assert.match(alert?.summary ?? "", /heartbeat [\d.]+ s old .* and no restart action is configured/);
  const log = join(root, "state", "recovery", "recovery.log");
  await waitFor("the alert step in the log", () => readSteps(log).some((e) => e.step === "alert"));
  assert.deepEqual(
    readSteps(log).map((e) => e.step),
    ["detected", "alert"],
  );
  beat();
  await waitFor("recovered", () => h.agent.state.alerts.get("recovery:recorder")?.state === "resolved");
});

test("pidfile watch: a dead process is noticed on the next check and restarted", { timeout: 30_000 }, async (t) => {
  const root = tempDir(t, "ew-pid-");
  const pidfile = join(root, "svc.pid");
  const marks = join(root, "marks");
  const start = () => {
    const c = spawn("sleep", ["300"], { stdio: "ignore", detached: true });
    c.unref();
    writeFileSync(pidfile, `${c.pid}\n`);
    return c;
  };
  const first = start();
  t.after(() => first.kill("SIGKILL"));
  const h = await startRecovery(t, {
    status_dir: join(root, "run"),
    state_dir: join(root, "state"),
    recovery: {
      sd_notify: false,
      startup_grace: 0,
      watches: [
        {
          name: "svc",
          pidfile,
          check_every: 0.2,
          restart_wait: 5,
          restart: {
            type: "command",
            argv: [
              "sh",
              "-c",
              'echo restart >> "$0"; setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $! > "$1"',
              marks,
              pidfile,
            ],
          },
        },
      ],
    },
  });
  // The restarted program's pid, read while the pid file exists (the temp dir goes first at cleanup).
  let restarted = 0;
  t.after(() => {
    try {
      process.kill(restarted || Number(readFileSync(pidfile, "utf8")), "SIGKILL");
    } catch {}
  });
  await waitFor("healthy", () => h.mod.watches[0]?.phase === "healthy");
  first.kill("SIGKILL");
  await waitFor(
    "recovered",
    () => {
      restarted = Number(readFileSync(pidfile, "utf8")) || restarted;
      return readSteps(join(root, "state", "recovery", "recovery.log")).some((e) => e.step === "recovered");
    },
    20_000,
  );
  restarted = Number(readFileSync(pidfile, "utf8"));
  const steps = readSteps(join(root, "state", "recovery", "recovery.log"));
  assert.deepEqual(
    steps.map((e) => e.step),
    ["detected", "restart", "restart_result", "recovered"],
  );
  assert.match(steps[0]?.reason ?? "", /process \d+ \(from .*svc\.pid\) is not running/);
});

test("recovery config: every problem at once, each saying what was expected and what was got", () => {
  try {
    validateConfig(
      {
        recovery: {
          watches: [
            { name: "Bad Name", source: "x" },
            { name: "two", source: "a", pidfile: "/run/a.pid" },
            { name: "three", source: "b", stale_after: "soon", restart: { type: "systemd", unit: "nope" } },
          ],
          reboot: { type: "shell", command: "reboot" },
          disk: { paths: ["/data"], critical_percent: 90, target_percent: 95 },
          camera_test: { type: "command", argv: [] },
        },
      },
      "edgewatch.yaml",
    );
    assert.fail("expected a ConfigError");
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const text = err.problems.join("\n");
    assert.match(text, /recovery\.watches\[0\]\.name: expected a watch name like "recorder"/);
    assert.match(
      text,
      /recovery\.watches\[1\]: expected exactly one of source, heartbeat_file, pidfile, process, unit/,
    );
    assert.match(text, /recovery\.watches\[2\]\.stale_after: expected a duration like "30s".*got "soon"/);
    assert.match(text, /recovery\.watches\[2\]\.restart\.unit: expected a systemd unit name like "recorder\.service"/);
    assert.match(
      text,
      /recovery\.reboot\.type: expected one of "command"\|"systemd"\|"camera"\|"stop_unit"\|"drop_caches", got "shell"/,
    );
    assert.match(text, /recovery\.disk: expected target_percent < critical_percent/);
    assert.match(text, /recovery\.camera_test\.argv: expected a command as an argv array/);
  }
  assert.throws(
    () =>
      validateConfig(
        {
          recovery: {
            watches: [
              { name: "a", source: "a" },
              { name: "a", source: "b" },
            ],
          },
        },
        "f",
      ),
    /recovery\.watches: expected every watch name to be unique/,
  );
  // An empty config is valid, and the defaults are the seeds'.
  const c = validateConfig({}, "empty");
  assert.equal(c.recovery.reboots_per_day, 3);
  assert.deepEqual(c.recovery.reboot, {
    type: "command",
    argv: ["sudo", "/usr/bin/systemctl", "reboot"],
    timeout: 30_000,
  });
});

test("process watch by exact name (/proc/PID/comm): a dead process is noticed and alerted", {
  timeout: 30_000,
}, async (t) => {
  const root = tempDir(t, "ew-proc-");
  // A uniquely named program: comm is the executable's file name.
  const name = `ewcap${process.pid % 100000}`;
  const exe = join(root, name);
  symlinkSync("/bin/sleep", exe);
  const c = spawn(exe, ["300"], { stdio: "ignore" });
  t.after(() => c.kill("SIGKILL"));
  const h = await startRecovery(t, {
    status_dir: join(root, "run"),
    state_dir: join(root, "state"),
    recovery: { sd_notify: false, startup_grace: 0, watches: [{ name: "cap", process: name, check_every: 0.2 }] },
  });
  await waitFor("healthy", () => h.mod.watches[0]?.phase === "healthy");
  c.kill("SIGKILL");
  await waitFor("an alert", () => h.agent.state.alerts.get("recovery:cap")?.state === "firing", 20_000);
  assert.match(
    h.agent.state.alerts.get("recovery:cap")?.summary ?? "",
    new RegExp(`no process named "${name}" is running`),
  );
});

test("systemd unit watch: a unit that is not active is reported with systemctl's own words", {
  timeout: 30_000,
}, async (t) => {
  if (!requireTool(t, "systemctl", "systemd")) return;
  const root = tempDir(t, "ew-unit-");
  const h = await startRecovery(t, {
    status_dir: join(root, "run"),
    state_dir: join(root, "state"),
    recovery: {
      sd_notify: false,
      startup_grace: 0,
      watches: [{ name: "rec", unit: "edgewatch-test-no-such-unit.service", check_every: 0.5 }],
    },
  });
  await waitFor("an alert", () => h.agent.state.alerts.get("recovery:rec")?.state === "firing", 20_000);
  // inactive on a systemd host; "unknown (systemctl: …)" where systemd is not running (containers)
  assert.match(
    h.agent.state.alerts.get("recovery:rec")?.summary ?? "",
    /unit edgewatch-test-no-such-unit\.service is (inactive|unknown \(systemctl: .+\))/,
  );
});

test("start-up grace after boot: nothing is judged before it ends, then the ladder runs", {
  timeout: 30_000,
}, async (t) => {
  const root = tempDir(t, "ew-grace-");
  const uptime = Number.parseFloat(readFileSync("/proc/uptime", "utf8"));
  const h = await startRecovery(t, {
    status_dir: join(root, "run"),
    state_dir: join(root, "state"),
    recovery: {
      sd_notify: false,
      startup_grace: Math.ceil(uptime) + 2, // ends ~2 s from now
      watches: [{ name: "never", source: "never", stale_after: 0.3 }],
    },
  });
  const snap = (await (await fetch(`${h.agent.url}/api/recovery`)).json()) as {
    grace_until: string;
    watches: { phase: string }[];
  };
  assert.equal(snap.watches[0]?.phase, "grace");
  const graceEnd = Date.parse(snap.grace_until);
  const log = join(root, "state", "recovery", "recovery.log");
  const detected = (await waitFor("detection after the grace", () =>
    readSteps(log).find((e) => e.step === "detected"),
  )) as {
    time: string;
  };
  assert.ok(Date.parse(detected.time) >= graceEnd, `detected at ${detected.time}, grace until ${snap.grace_until}`);
});

test("`edgewatch agent` under Type=notify: READY=1 with its own MAINPID, then WATCHDOG=1 pings", {
  timeout: 60_000,
}, async (t) => {
  if (!requireTool(t, "systemd-notify", "systemd") || !requireTool(t, "/usr/bin/python3", "python3")) return;
  const dir = tempDir(t, "ew-notify-agent-");
  const sock = join(dir, "notify.sock");
  const py = spawn("/usr/bin/python3", [join(FIXTURES, "notify-socket.py"), sock], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  t.after(() => py.kill("SIGKILL"));
  const lines: string[] = [];
  py.stdout.setEncoding("utf8").on("data", (d: string) => lines.push(...d.split("\n").filter(Boolean)));
  await waitFor("the socket", () => lines.includes("listening"));
  const cfg = join(dir, "config.json");
  writeFileSync(cfg, JSON.stringify({ status_dir: join(dir, "run"), state_dir: join(dir, "state") }));
  const root = join(import.meta.dirname, "..", "..", "..");
  const agent = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(root, "src", "cli", "main.ts"),
      "agent",
      "--config",
      cfg,
      "--port",
      "0",
      "--bind",
      "127.0.0.1",
    ],
    { cwd: root, stdio: "ignore", env: { ...process.env, NOTIFY_SOCKET: sock, WATCHDOG_USEC: "1000000" } },
  );
  t.after(() => agent.kill("SIGKILL"));
  await waitFor("READY=1", () => lines.find((l) => l.startsWith("READY=1|")), 30_000);
  assert.ok(
    lines.some((l) => l.includes(`MAINPID=${agent.pid}`)),
    `READY names the agent's pid: ${lines.join(" / ")}`,
  );
  await waitFor("two WATCHDOG=1 pings", () => lines.filter((l) => l === "WATCHDOG=1").length >= 2, 30_000);
});

test("a heartbeat timestamp from the future cannot postpone detection (clock skew, NTP steps)", {
  timeout: 30_000,
}, async (t) => {
  const root = tempDir(t, "ew-future-");
  const file = join(root, "hb.json");
  writeFileSync(file, JSON.stringify({ timestamp: "2100-01-01T00:00:00" }));
  const h = await startRecovery(t, {
    status_dir: join(root, "run"),
    state_dir: join(root, "state"),
    recovery: {
      sd_notify: false,
      startup_grace: 0,
      watches: [{ name: "skewed", heartbeat_file: file, stale_after: 0.5 }],
    },
  });
  await waitFor("detection", () => h.agent.state.alerts.get("recovery:skewed")?.state === "firing", 20_000);
  const snap = (await (await fetch(`${h.agent.url}/api/recovery`)).json()) as { watches: { last_beat: string }[] };
  assert.ok(Date.parse(snap.watches[0]?.last_beat ?? "") < Date.parse("2100-01-01T00:00:00"));
});
