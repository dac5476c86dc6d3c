#!/usr/bin/env node
// Agent footprint and serving speed against peers measured in the same run:
//  - the timelapse scripts' Python stdlib status server (bench/peers/status_server.py, ThreadingHTTPServer)
//  - a bare Node HTTP server serving the same status file (bench/peers/bare_node.mjs)
//  - prometheus-node-exporter (Debian) for /metrics
// Prints one markdown section (bench/run.mjs saves it to docs/bench/agent.md).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const WRK_SECONDS = Number(process.env.BENCH_WRK_SECONDS ?? 10);
const log = (m) => process.stderr.write(`agent bench: ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (!existsSync(join(root, "dist", "edgewatch.mjs")))
  execFileSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" });
for (const tool of ["wrk", "prometheus-node-exporter", "taskset"]) {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`]);
  } catch {
    console.error(`agent bench needs ${tool} (Debian: wrk, prometheus-node-exporter, util-linux)`);
    process.exit(1);
  }
}

const tmp = mkdtempSync(join(tmpdir(), "ew-bench-agent-"));
const children = [];
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// The same timelapse-script document for everyone: the agent reads it as a fragment, the peers serve the file.
const doc = {
  device_id: "Pi0Cam",
  status: "capturing",
  updated_at: new Date().toISOString(),
  uptime_seconds: 86400,
  disk_percent: 68.5,
  disk_free_bytes: 5100000000,
  cpu_temperature_celsius: 45.2,
  today: {
    date: "2026-02-08",
    photos_captured: 342,
    expected_photos: 750,
    start_time: "07:15:00",
    end_time: "17:30:00",
    interval_seconds: 45,
  },
  last_capture: {
    time: new Date().toISOString(),
    filename: "20260208_Pi0Cam_0342.jpg",
    success: true,
    duration_ms: 1234,
  },
  last_video: {
    date: "2026-02-07",
    filename: "20260207_Pi0Cam_timelapse.mp4",
    duration_seconds: 32,
    photos_used: 750,
    backed_up: true,
  },
  errors: [],
};
const statusFile = join(tmp, "timelapse_status.json");
writeFileSync(statusFile, JSON.stringify(doc, null, 2));
const statusDir = join(tmp, "status");
mkdirSync(join(statusDir, "status.d"), { recursive: true });
const writeFragment = (d) => writeFileSync(join(statusDir, "status.d", "timelapse.json"), JSON.stringify(d));
writeFragment(doc);

async function start(name, cmd, args, port, path = "/status") {
  const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"], cwd: root });
  let err = "";
  child.stderr.on("data", (c) => {
    err = (err + c).slice(-2000);
  });
  children.push(child);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      await r.arrayBuffer();
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${name} did not start: ${err}`);
    await sleep(100);
  }
  return { name, pid: child.pid, port, child };
}

function memory(pid) {
  const t = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(t)?.[1] ?? 0);
  return { rss: kb("Rss") / 1024, priv: (kb("Private_Clean") + kb("Private_Dirty")) / 1024 };
}

function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return Number(f[11]) + Number(f[12]); // utime + stime, clock ticks (1/100 s)
}

/** CPU time of every thread of the process in ns (/proc/PID/task/TID/schedstat: ns precision). */
function cpuNs(pid) {
  let sum = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {}
  }
  return sum;
}

function ctxSwitches(pid) {
  let sum = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const m = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8"));
      sum += Number(m?.[1] ?? 0);
    } catch {}
  }
  return sum;
}

function wrk(port, path, seconds = WRK_SECONDS) {
  const out = execFileSync("wrk", ["-t2", "-c16", `-d${seconds}s`, "--latency", `http://127.0.0.1:${port}${path}`], {
    encoding: "utf8",
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p99raw = /^\s+99%\s+([\d.]+)(us|ms|s)/m.exec(out);
  const p99 = p99raw ? Number(p99raw[1]) * { us: 0.001, ms: 1, s: 1000 }[p99raw[2]] : Number.NaN;
  const total = Number(/(\d+) requests in/.exec(out)?.[1]);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p99, total, errors: errors + non2xx };
}

const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");

// ---- start everyone ----
const [pAgent, pPy, pNode, pNe] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
const cfg = join(tmp, "agent.yaml");
writeFileSync(
  cfg,
  `device: {id: Pi0Cam, site: bench}\nstatus_dir: ${statusDir}\nstate_dir: ${join(tmp, "state")}\nhttp: {port: ${pAgent}, bind: 127.0.0.1}\n`,
);
// The agent runs from the bundle exactly as the generated unit starts it: node, the unit's V8 heap
// flags, the CLI. The flags are read from `edgewatch install --print`, so this measures what ships.
const unitText = execFileSync(
  process.execPath,
  [join(root, "bin", "edgewatch"), "install", "--print", "--user", "pi", "--config", cfg],
  {
    encoding: "utf8",
  },
);
const execStart = /^ExecStart=(.*)$/m.exec(unitText)?.[1]?.split(" ") ?? [];
const unitFlags = execStart.filter((a) => a.startsWith("--max-"));
const memoryMax = /^MemoryMax=(\d+)M$/m.exec(unitText)?.[1];
if (!unitFlags.length || !memoryMax)
  throw new Error(`no heap flags or MemoryMax=<n>M in the generated unit:\n${unitText}`);
const bundle = join(root, "dist", "edgewatch.mjs");
log("starting agent and peers");
const agent = await start(
  "edgewatch agent",
  process.execPath,
  [...unitFlags, bundle, "agent", "--config", cfg],
  pAgent,
);
// Peer for the memory bound: the same bundle and config without the heap flags (its own port and dirs).
const pNoFlags = await freePort();
const cfgNoFlags = join(tmp, "agent-noflags.yaml");
writeFileSync(
  cfgNoFlags,
  `device: {id: Pi0Cam, site: bench}\nstatus_dir: ${statusDir}\nstate_dir: ${join(tmp, "state-noflags")}\nhttp: {port: ${pNoFlags}, bind: 127.0.0.1}\n`,
);
const noFlags = await start(
  "edgewatch agent, no heap flags",
  process.execPath,
  [bundle, "agent", "--config", cfgNoFlags],
  pNoFlags,
);
// Peak RSS: the kernel's high-water mark (VmHWM), read before each agent stops; wrk runs synchronously
// here, so a sampler in this process could not see the load's peak.
const hwm = (pid) => Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024;
const peak = {};
const py = await start(
  "timelapse-script Python server",
  "/usr/bin/python3",
  [join(root, "bench", "peers", "status_server.py"), String(pPy), statusFile],
  pPy,
);
const bare = await start(
  "bare Node server",
  process.execPath,
  [join(root, "bench", "peers", "bare_node.mjs"), String(pNode), statusFile],
  pNode,
);
const ne = await start(
  "prometheus-node-exporter",
  "prometheus-node-exporter",
  [`--web.listen-address=127.0.0.1:${pNe}`],
  pNe,
  "/metrics",
);
const all = [agent, noFlags, py, bare, ne];

// ---- idle ----
log(`settling 10 s, then measuring idle for ${IDLE_SECONDS} s`);
await sleep(10_000);
const idleMem = Object.fromEntries(all.map((p) => [p.name, memory(p.pid)]));
const t0 = Object.fromEntries(all.map((p) => [p.name, { cpu: cpuTicks(p.pid), cs: ctxSwitches(p.pid) }]));
await sleep(IDLE_SECONDS * 1000);
const idle = Object.fromEntries(
  all.map((p) => [
    p.name,
    {
      cpuPct: ((cpuTicks(p.pid) - t0[p.name].cpu) / 100 / IDLE_SECONDS) * 100,
      wakeups: ctxSwitches(p.pid) - t0[p.name].cs,
    },
  ]),
);

// ---- load ----
const load = [];
for (const [p, path] of [
  [agent, "/status"],
  [bare, "/status"],
  [py, "/status"],
  [noFlags, "/status"],
  [agent, "/metrics"],
  [ne, "/metrics"],
  [py, "/metrics"],
  [noFlags, "/metrics"],
]) {
  log(`wrk ${p.name} ${path}`);
  const before = cpuTicks(p.pid);
  const r = wrk(p.port, path);
  const cpuMsPerReq = (((cpuTicks(p.pid) - before) / 100) * 1000) / r.total;
  load.push({ name: p.name, path, ...r, cpuMsPerReq });
  await sleep(1000);
}
const afterLoadMem = memory(agent.pid);
const afterLoadNoFlags = memory(noFlags.pid);
// repeated load: does the agent keep growing, or plateau? Both agents get the same rounds, alternately.
const rounds = [];
const roundsNoFlags = [];
for (let i = 0; i < 3; i++) {
  log(`repeat load round ${i + 1}: /status then /metrics, each agent`);
  for (const [p, out] of [
    [agent, rounds],
    [noFlags, roundsNoFlags],
  ]) {
    wrk(p.port, "/status", 5);
    wrk(p.port, "/metrics", 5);
    out.push(memory(p.pid).rss);
  }
}
peak[noFlags.pid] = hwm(noFlags.pid);
for (const p of [py, bare, ne, noFlags]) p.child.kill("SIGTERM");

// ---- CPU-bound job (the encoding case): fixed work, pinned to one core with the agent ----
// The agent runs as the device has it while encoding: status creating_video (quiet mode), scraped every second (harsher than a 15 s Prometheus scrape).
writeFragment({ ...doc, status: "creating_video" });
const job = `const c=require("node:crypto");let h=Buffer.alloc(32);for(let i=0;i<${Number(process.env.BENCH_JOB_ITER ?? 1_200_000)};i++)h=c.createHash("sha256").update(h).digest();`;
const runJob = () => {
  const s = process.hrtime.bigint();
  execFileSync("taskset", ["-c", "0", process.execPath, "-e", job]);
  return Number(process.hrtime.bigint() - s) / 1e6;
};
execFileSync("taskset", ["-cp", "0", String(agent.pid)], { stdio: "ignore" });
let scraper = null;
const with_ = [];
const without = [];
const agentProc = agent;
log("CPU-bound job: 5 runs with the agent, 5 without, interleaved");
runJob(); // warm the page cache
let agentNs = 0;
let withMs = 0;
for (let i = 0; i < 5; i++) {
  scraper = setInterval(
    () =>
      fetch(`http://127.0.0.1:${pAgent}/metrics`).then(
        (r) => r.arrayBuffer(),
        () => {},
      ),
    1000,
  );
  const t = cpuNs(agent.pid);
  const ms = runJob();
  agentNs += cpuNs(agent.pid) - t;
  withMs += ms;
  with_.push(ms);
  clearInterval(scraper);
  agentProc.child.kill("SIGSTOP"); // "without": the agent takes no CPU at all
  without.push(runJob());
  agentProc.child.kill("SIGCONT");
}
peak[agent.pid] = hwm(agent.pid);
agent.child.kill("SIGTERM");
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const slowdown = (median(with_) / median(without) - 1) * 100;
// The agent's own CPU while the job ran, as a share of the job's wall time: the most it can have taken
// from the job on their shared core. Unlike the wall-time ratio it is not blurred by other load.
const agentShare = (agentNs / 1e6 / withMs) * 100;

// ---- report ----
const bareMem = idleMem["bare Node server"];
const pyMem = idleMem["timelapse-script Python server"];
const agentMem = idleMem["edgewatch agent"];
const row = (n) => {
  const m = idleMem[n];
  const i = idle[n];
  return `| ${n} | ${fmt(m.rss)} | ${fmt(m.priv)} | ${fmt(i.cpuPct, 3)} | ${i.wakeups} |`;
};
const byPath = (path) => load.filter((l) => l.path === path);
const lrow = (l, peer) =>
  `| ${l.name} | ${fmt(l.rps, 0)} | ${fmt(l.p99, 2)} | ${l.errors} | ${fmt(l.cpuMsPerReq, 3)} | ${peer ? fmt(l.rps / peer.rps, 2) : "1.00"} |`;
const st = byPath("/status").filter((l) => l.name !== noFlags.name);
const mt = byPath("/metrics").filter((l) => l.name !== noFlags.name);
const nf = (path) => byPath(path).find((l) => l.name === noFlags.name);
const mib = (n) => `${fmt(n)} MiB`;
console.log(`## Agent: idle footprint, /status and /metrics, CPU-bound job

Five processes started side by side and measured in the same run: the agent from the bundle exactly
as the generated unit starts it (\`node ${unitFlags.join(" ")} dist/edgewatch.mjs agent\`, every registered module,
default collectors), the same agent without the heap flags, the timelapse scripts' Python stdlib server on ThreadingHTTPServer
(bench/peers/status_server.py, its /status and /metrics exactly as the seed writes them), a bare Node
HTTP server reading the same status file per request (bench/peers/bare_node.mjs), and Debian's
prometheus-node-exporter. Memory from /proc/PID/smaps_rollup (private = Private_Clean + Private_Dirty)
after 10 s of settling; CPU and voluntary context switches (all threads) over ${IDLE_SECONDS} s of idling.

| process | RSS MiB | private MiB | CPU % idle | voluntary ctx switches in ${IDLE_SECONDS} s |
| --- | --- | --- | --- | --- |
${all.map((p) => row(p.name)).join("\n")}

- Agent RSS − bare Node RSS: **${fmt(agentMem.rss - bareMem.rss)} MiB** (budget ≤ 8 MiB).
- Agent private ÷ Python server private: **${fmt(agentMem.priv / pyMem.priv, 2)}×** (budget ≤ 1.5×).
- Agent RSS: idle ${fmt(agentMem.rss)} MiB; after the load runs below ${fmt(afterLoadMem.rss)} MiB; after each of
  3 more rounds of /status + /metrics load (5 s each): ${rounds.map((r) => fmt(r)).join(", ")} MiB.

**Memory bound under sustained load** (the unit's \`MemoryMax=${memoryMax}M\`; peak RSS is the kernel's
high-water mark, VmHWM, over the agent's whole life: start-up, idle, the load rows, the rounds, and for the agent
with flags also the CPU-bound job below; both agents got the same HTTP load):

| agent | peak RSS | ÷ MemoryMax | after load rows | after each round | /status req/s | /metrics req/s |
| --- | --- | --- | --- | --- | --- | --- |
| with the unit's flags (\`${unitFlags.join(" ")}\`) | ${mib(peak[agent.pid])} | ${fmt((peak[agent.pid] / Number(memoryMax)) * 100, 0)} % | ${mib(afterLoadMem.rss)} | ${rounds.map((r) => fmt(r)).join(", ")} | ${fmt(st[0].rps, 0)} | ${fmt(mt[0].rps, 0)} |
| no heap flags | ${mib(peak[noFlags.pid])} | ${fmt((peak[noFlags.pid] / Number(memoryMax)) * 100, 0)} % | ${mib(afterLoadNoFlags.rss)} | ${roundsNoFlags.map((r) => fmt(r)).join(", ")} | ${fmt(nf("/status").rps, 0)} | ${fmt(nf("/metrics").rps, 0)} |

- Peak RSS with the unit's flags: **${mib(peak[agent.pid])}**, ${fmt(Number(memoryMax) - peak[agent.pid])} MiB inside MemoryMax=${memoryMax}M;
  without them ${mib(peak[noFlags.pid])} (${peak[noFlags.pid] > Number(memoryMax) ? "over the limit: systemd would kill it" : "inside the limit in this run"}).
  The throughput cost of the 1 MB semi-space shows in the req/s columns (a device serves a few requests a minute).

wrk, 2 threads, 16 connections, ${WRK_SECONDS} s per row, one row at a time; CPU ms per request from the
server's utime+stime over the run (10 ms tick resolution). "vs peer" is req/s divided by the first peer row.

| /status | req/s | p99 ms | socket errors + non-2xx | CPU ms/req | vs bare Node |
| --- | --- | --- | --- | --- | --- |
${lrow(st[0], st[1])}
${lrow(st[1])}
${lrow(st[2], st[1])}

| /metrics | req/s | p99 ms | socket errors + non-2xx | CPU ms/req | vs node_exporter |
| --- | --- | --- | --- | --- | --- |
${lrow(mt[0], mt[1])}
${lrow(mt[1])}
${lrow(mt[2], mt[1])}

- Agent /status ÷ bare Node: **${fmt(st[0].rps / st[1].rps, 2)}×** (budget ≥ 0.8×), p99 ${fmt(st[0].p99, 2)} ms (budget ≤ 10 ms).
- Agent /metrics CPU per scrape: **${fmt(mt[0].cpuMsPerReq, 3)} ms** (budget ≤ 0.5 ms); its body has every module's families
  (collectors, alerts, …), node_exporter's has ~1,000 series, the Python server's 7.

CPU-bound job (the video-encoding case): ${with_.length} runs of a fixed single-threaded SHA-256 loop pinned to
core 0, interleaved with the agent pinned to the same core and running (status \`creating_video\`, i.e. quiet
mode, /metrics scraped every second, a harsher load than Prometheus at 15 s) and with the agent stopped (SIGSTOP).

| | median s | runs (s) |
| --- | --- | --- |
| agent running | ${fmt(median(with_) / 1000, 3)} | ${with_.map((x) => fmt(x / 1000, 2)).join(", ")} |
| agent stopped | ${fmt(median(without) / 1000, 3)} | ${without.map((x) => fmt(x / 1000, 2)).join(", ")} |

- Agent CPU while the job ran: **${fmt(agentShare, 3)} %** of the job's wall time (${fmt(agentNs / 1e6, 2)} ms of CPU in
  ${fmt(withMs / 1000, 1)} s) — the most the agent can have slowed the job on their shared core (budget ≤ 1 %).
- Wall-time slowdown, median with ÷ median without − 1: ${fmt(slowdown, 2)} % — on this shared 2-core machine the
  spread of the runs above (other tenants' load) is larger than the effect being measured; read the line above.`);
process.exit(0);
