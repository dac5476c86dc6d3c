#!/usr/bin/env node
// The agent's weight: bundle size, idle RSS ~15 s after start and RSS after a load, beside a bare Node
// HTTP server (bench/peers/bare_node.mjs) started in the same run. With BENCH_BEFORE_BUNDLE=<path to an
// older dist/edgewatch.mjs>, that build runs beside the current one, so before/after share one run.
// Prints one markdown section (bench/run.mjs saves it to docs/bench/footprint.md).
import { execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SETTLE_S = Number(process.env.BENCH_SETTLE_SECONDS ?? 15);
const LOAD_S = Number(process.env.BENCH_LOAD_SECONDS ?? 5);
const before = process.env.BENCH_BEFORE_BUNDLE;
const log = (m) => process.stderr.write(`footprint bench: ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");

if (!existsSync(join(root, "dist", "edgewatch.mjs")))
  execFileSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" });
const tmp = mkdtempSync(join(tmpdir(), "ew-bench-footprint-"));
const children = [];
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const doc = {
  device_id: "Pi0Cam",
  status: "capturing",
  updated_at: new Date().toISOString(),
  today: { photos_captured: 342 },
};
const statusFile = join(tmp, "status.json");
writeFileSync(statusFile, JSON.stringify(doc));
const statusDir = join(tmp, "status");
mkdirSync(join(statusDir, "status.d"), { recursive: true });
writeFileSync(join(statusDir, "status.d", "timelapse.json"), JSON.stringify(doc));

// The unit's heap flags, from bin/edgewatch's first line (what the generated unit passes too).
const flags = readFileSync(join(root, "bin", "edgewatch"), "utf8")
  .split("\n")[0]
  .split(" ")
  .filter((a) => a.startsWith("--max-"));

async function start(name, args, port) {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], cwd: root });
  let err = "";
  child.stderr.on("data", (c) => {
    err = (err + c).slice(-2000);
  });
  children.push(child);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/status`);
      await r.arrayBuffer();
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${name} did not start: ${err}`);
    await sleep(100);
  }
  return { name, pid: child.pid, port, startedAt: Date.now() };
}

async function agent(name, bundle) {
  const port = await freePort();
  const cfg = join(tmp, `${name.replace(/\W+/g, "-")}.yaml`);
  writeFileSync(
    cfg,
    `status_dir: ${statusDir}\nstate_dir: ${join(tmp, `state-${port}`)}\nhttp: {port: ${port}, bind: 127.0.0.1}\n`,
  );
  return start(name, [...flags, bundle, "agent", "--config", cfg], port);
}

const rss = (pid) => Number(/^Rss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1]) / 1024;
const dirSize = (d) =>
  readdirSync(d, { withFileTypes: true }).reduce(
    (n, e) =>
      n + (e.isDirectory() ? dirSize(join(d, e.name)) : e.name.endsWith(".mjs") ? statSync(join(d, e.name)).size : 0),
    0,
  );

log("starting");
const procs = [];
{
  const port = await freePort();
  procs.push(
    await start("bare Node server", [join(root, "bench", "peers", "bare_node.mjs"), String(port), statusFile], port),
  );
}
if (before) procs.push(await agent("agent, before", before));
procs.push(await agent("agent, now", join(root, "dist", "edgewatch.mjs")));
log(`settling ${SETTLE_S} s`);
await sleep(SETTLE_S * 1000);
const idle = Object.fromEntries(procs.map((p) => [p.name, rss(p.pid)]));

log("load");
const hasWrk = (() => {
  try {
    execFileSync("sh", ["-c", "command -v wrk"]);
    return true;
  } catch {
    return false;
  }
})();
for (const p of procs.filter((x) => x.name.startsWith("agent"))) {
  for (const path of ["/status", "/metrics"]) {
    if (hasWrk)
      execFileSync("wrk", ["-t2", "-c16", `-d${LOAD_S}s`, `http://127.0.0.1:${p.port}${path}`], { stdio: "ignore" });
    else for (let i = 0; i < 2000; i++) await (await fetch(`http://127.0.0.1:${p.port}${path}`)).arrayBuffer();
  }
}
await sleep(2000);
const loaded = Object.fromEntries(procs.map((p) => [p.name, rss(p.pid)]));
const bareRss = idle["bare Node server"];

const size = (f) => statSync(f).size / 1024;
const nowDist = join(root, "dist");
const rows = procs.map(
  (p) =>
    `| ${p.name} | ${fmt(idle[p.name])} | ${p.name.startsWith("agent") ? `+${fmt(idle[p.name] - bareRss)}` : "—"} | ${fmt(loaded[p.name])} |`,
);
console.log(`## Agent footprint: bundle size and RSS, before/after, beside bare Node

Processes started side by side in one run on a shared 2-core machine (figures are noisy; compare
within the table): a bare Node HTTP server serving the status file (bench/peers/bare_node.mjs), ${before ? "the agent as built before this change (BENCH_BEFORE_BUNDLE), " : ""}and the agent as built now,
both with the unit's heap flags (\`${flags.join(" ")}\`), default config. RSS from /proc/PID/smaps_rollup
${SETTLE_S} s after start (idle), then again after ${hasWrk ? `wrk -t2 -c16 for ${LOAD_S} s` : "2000 sequential requests"} on /status and on /metrics of each agent.

| process | RSS idle MiB | agent − bare Node MiB (budget ≤ 8) | RSS after load MiB |
| --- | --- | --- | --- |
${rows.join("\n")}

| bundle | dist/edgewatch.mjs KiB | every .mjs under dist/ KiB |
| --- | --- | --- |
${before ? `| before | ${fmt(size(before), 0)} | ${fmt(dirSize(dirname(before)) / 1024, 0)} |\n` : ""}| now | ${fmt(size(join(nowDist, "edgewatch.mjs")), 0)} | ${fmt(dirSize(nowDist) / 1024, 0)} |
`);
process.exit(0);
