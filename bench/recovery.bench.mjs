#!/usr/bin/env node
// Self-healing: time from a fault (SIGSTOP = frozen, SIGKILL = crash) of a heartbeating program to
// its restart, for the edgewatch agent (inotify + one deadline timer per watch) and, in the same
// run, the gym recorder's watchdog design (a loop that wakes every CHECK_INTERVAL and reads the heartbeat
// file), run as the seed's own Python logic (bench/peers/seed001_watchdog.py). systemd's Restart=
// cannot run in this container, so it is not a peer here.
// Time is scaled down 10× from the seed (heartbeat every 1 s → 0.1 s, timeout 30 s → 3 s, check
// every 10 s → 1 s) so that enough trials fit in a few minutes; both watchers get the same scale.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const peers = join(root, "bench", "peers");
const TIMEOUT_S = 3;
const CHECK_S = 1;
const BEAT_S = 0.1;
const TRIALS = Number(process.env.BENCH_TRIALS ?? 5);

if (!existsSync(join(root, "dist", "edgewatch.mjs"))) {
  const b = spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" });
  if (b.status !== 0) process.exit(1);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = [];
process.on("exit", () => {
  for (const c of children) {
    try {
      process.kill(-c.pid, "SIGKILL");
    } catch {}
  }
});

function lines(file) {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}
function readPid(file) {
  try {
    return Number(readFileSync(file, "utf8").trim()) || null;
  } catch {
    return null;
  }
}
function beatTime(file) {
  try {
    const ts = JSON.parse(readFileSync(file, "utf8")).timestamp;
    return Date.parse(ts.replace(/(\.\d{3})\d+/, "$1"));
  } catch {
    return null;
  }
}
async function until(what, fn, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** One subject: a heartbeat writer and a watcher that restarts it through restart-writer.sh. */
function setup(name) {
  const dir = mkdtempSync(join(tmpdir(), `ew-bench-rec-${name}-`));
  const s = {
    name,
    dir,
    hb: join(dir, "recorder_heartbeat.json"),
    pidfile: join(dir, "recorder.pid"),
    marks: join(dir, "restarts"),
  };
  s.restartArgv = ["sh", join(peers, "restart-writer.sh"), s.hb, String(BEAT_S), s.pidfile, s.marks];
  const w = spawn("setsid", ["sh", join(peers, "heartbeat-writer.sh"), s.hb, String(BEAT_S), s.pidfile], {
    stdio: "ignore",
    detached: true,
  });
  w.unref();
  return s;
}

function startEdgewatch(s, watch) {
  const cfg = join(s.dir, "config.json");
  writeFileSync(
    cfg,
    JSON.stringify({
      status_dir: join(s.dir, "run"),
      state_dir: join(s.dir, "state"),
      recovery: {
        startup_grace: 0,
        sd_notify: false,
        watches: [
          {
            name: "recorder",
            ...watch,
            restart_wait: 2,
            max_restarts: 1000,
            window: "10m",
            escalate: "alert",
            restart: { type: "command", argv: s.restartArgv, timeout: 30 },
          },
        ],
      },
    }),
  );
  const c = spawn(
    process.execPath,
    [join(root, "bin", "edgewatch"), "agent", "--config", cfg, "--port", "0", "--bind", "127.0.0.1"],
    {
      stdio: ["ignore", "ignore", "pipe"],
      detached: true,
    },
  );
  c.stderr.resume();
  children.push(c);
  return c;
}

function startSeed001(s) {
  const c = spawn("/usr/bin/python3", [join(peers, "seed001_watchdog.py")], {
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
    env: {
      ...process.env,
      HEARTBEAT_FILE: s.hb,
      HEARTBEAT_TIMEOUT: String(TIMEOUT_S),
      CHECK_INTERVAL: String(CHECK_S),
      RESTART_SETTLE: "1", // seed: 10 s, scaled
      POST_RESTART_CHECK: "1.5", // seed: 15 s, scaled
      RESTART_CMD: JSON.stringify(s.restartArgv),
    },
  });
  c.stderr.resume();
  children.push(c);
  return c;
}

/** Inflicts `signal` on the writer; returns fault→restart ms and the overshoot past lastBeat + timeout. */
async function trial(s, signal, delayMs) {
  await until("a fresh heartbeat", () => {
    const t = beatTime(s.hb);
    return t && Date.now() - t < 500 && readPid(s.pidfile);
  });
  await sleep(delayMs); // a random phase against the watcher's own loop
  const before = lines(s.marks).length;
  const pid = readPid(s.pidfile);
  const t0 = Date.now();
  process.kill(pid, signal);
  await sleep(20);
  const last = beatTime(s.hb);
  await until("the restart", () => lines(s.marks).length > before, 60_000);
  const tr = Number(lines(s.marks)[before]);
  if (signal === "SIGSTOP") {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  return { latency: tr - t0, overshoot: tr - (last + TIMEOUT_S * 1000), sinceBeat: t0 - last };
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (ms) => (ms / 1000).toFixed(2);
const fmtMs = (ms) => String(Math.round(ms));

// The same random phases for every subject.
const phases = Array.from({ length: TRIALS * 2 }, (_, i) => ((i * 7919) % 1000) + 200);

async function run(name, start, faults) {
  const s = setup(name);
  const watcher = start(s);
  await sleep(1500);
  const out = {};
  let i = 0;
  for (const sig of faults) {
    out[sig] = [];
    for (let k = 0; k < TRIALS; k++) {
      out[sig].push(await trial(s, sig, phases[i++]));
      // let the watcher settle (the seed's loop sleeps 1 + 1.5 s after a restart)
      await sleep(name === "seed001" ? 3000 : 1000);
    }
  }
  process.kill(-watcher.pid, "SIGKILL");
  const wpid = readPid(s.pidfile);
  if (wpid) {
    try {
      process.kill(wpid, "SIGKILL");
    } catch {}
  }
  rmSync(s.dir, { recursive: true, force: true });
  return out;
}

const ew = await run("edgewatch", (s) => startEdgewatch(s, { heartbeat_file: s.hb, stale_after: TIMEOUT_S }), [
  "SIGSTOP",
  "SIGKILL",
]);
const seed = await run("seed001", startSeed001, ["SIGSTOP", "SIGKILL"]);
const ewPid = await run(
  "edgewatch-pid",
  (s) => startEdgewatch(s, { pidfile: s.pidfile, check_every: CHECK_S, stale_after: TIMEOUT_S }),
  ["SIGKILL"],
);

const row = (fault, who, r, heartbeat = true) =>
  `| ${fault} | ${who} | ${fmt(median(r.map((x) => x.latency)))} | ${heartbeat ? fmtMs(median(r.map((x) => x.overshoot))) : "n/a"} | ${heartbeat ? fmtMs(Math.max(...r.map((x) => x.overshoot))) : "n/a"} | ${r.length} |`;
const ratio = (a, b) => (median(a.map((x) => x.overshoot)) / Math.max(1, median(b.map((x) => x.overshoot)))).toFixed(0);

process.stdout.write(`## Self-healing: fault to restart

A heartbeating stand-in for the recorder (the gym recorder's heartbeat file, atomic write every ${BEAT_S} s)
is frozen (\`SIGSTOP\`) or crashed (\`SIGKILL\`) at a varying phase, ${TRIALS} times per row; the figure
is the time from the fault to the restart command starting. Time is scaled 10× down from gym-recorder
(heartbeat timeout ${TIMEOUT_S} s for 30 s, check interval ${CHECK_S} s for 10 s), the same for both watchers.
"Past timeout" is restart time − (last heartbeat + timeout): the watcher's own delay, which the
design goal bounds at 1 s (“restarted within its heartbeat timeout plus a second”).

| fault | watcher | median fault→restart (s) | median past timeout (ms) | max past timeout (ms) | trials |
| --- | --- | ---: | ---: | ---: | ---: |
${row("freeze (SIGSTOP)", "edgewatch agent (inotify + deadline timer)", ew.SIGSTOP)}
${row("freeze (SIGSTOP)", "gym-recorder watchdog.py design (check loop)", seed.SIGSTOP)}
${row("crash (SIGKILL)", "edgewatch agent (heartbeat watch)", ew.SIGKILL)}
${row("crash (SIGKILL)", "gym-recorder watchdog.py design (check loop)", seed.SIGKILL)}
${row("crash (SIGKILL)", `edgewatch agent (pidfile watch, check every ${CHECK_S} s)`, ewPid.SIGKILL, false)}

Past the timeout, the seed's design waits up to one check interval (scaled: ${CHECK_S} s; unscaled: 10 s)
— here ${ratio(seed.SIGSTOP, ew.SIGSTOP)}× edgewatch's delay for a freeze and ${ratio(seed.SIGKILL, ew.SIGKILL)}× for a crash. edgewatch's
delay does not grow with the timeout: it is a timer set for the exact moment the heartbeat goes stale
plus the cost of starting the restart command. A crash is a silent heartbeat to a heartbeat watch; a
pidfile watch sees it at its next \`/proc\` check, without waiting for the heartbeat timeout.
`);
