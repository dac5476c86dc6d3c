#!/usr/bin/env node
// Status writers under concurrency: per-update cost and lost updates with 4 and 8 concurrent writer
// processes, for the TypeScript library and the Python, C++ and shell clients (status protocol v1: one
// fragment per writer, temp file + rename) versus the timelapse scripts' read-modify-write status writer
// (bench/peers/seed_rmw_writer.py: every writer rewrites ONE shared file through ONE shared temp name).
//
// Method: in each run W writers start together (a shared start time), and each makes N updates; each
// writer times its own loop (µs/update). Two kinds of run:
//  - cost: update i of writer w sets c_<w> = i (the status document keeps its size, as a capture loop's does);
//  - losses: update i of writer w adds the key u_<w>_<i>. After the run the merged document (edgewatch:
//    readDeviceStatus from dist/index.js; peer: the status file) must hold all W×N keys; every missing
//    key is a lost update.
// Files live on tmpfs (/dev/shm) like /run/edgewatch.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist", "index.js");
if (!existsSync(dist)) {
  console.error(`bench protocol: ${dist} is missing; run \`node scripts/build.mjs\` first (npm run bench does)`);
  process.exit(1);
}
const { readDeviceStatus } = await import(dist);

const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const work = mkdtempSync(join(base, "ew-bench-protocol-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

const TS_WRITER = join(root, "test", "clients", "fixtures", "ts-writer.ts");
const PY_WRITER = join(root, "test", "clients", "fixtures", "py_writer.py");
const SH_CLIENT = join(root, "clients", "sh", "edgewatch-status.sh");
const PEER = join(root, "bench", "peers", "seed_rmw_writer.py");
const CPP_BIN = join(work, "ew-status");
const cc = spawnSync(
  "g++",
  [
    "-std=c++17",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Werror",
    `-I${join(root, "clients", "cpp")}`,
    "-o",
    CPP_BIN,
    join(root, "clients", "cpp", "ew-status.cpp"),
  ],
  { encoding: "utf8" },
);
if (cc.status !== 0) {
  console.error(`bench protocol: g++ failed:\n${cc.stderr}`);
  process.exit(1);
}

const RUNS = Number(process.env.EW_BENCH_RUNS ?? 2);
const PEER_RUNS = Number(process.env.EW_BENCH_PEER_RUNS ?? 5);

/** One writer process per entry: cmd/args for writer `w` of a run in `dir`, starting at epoch ms `at`. */
const impls = [
  {
    name: "TypeScript library (`updateStatus`)",
    n: 500,
    lead: 2500, // node + tsx start-up before the shared start time
    writer: (dir, w, n, at, mode) => [
      process.execPath,
      ["--import", "tsx", TS_WRITER, mode, dir, w, w, `${n}`, `${at}`],
    ],
  },
  {
    name: "Python client (`update_status`)",
    n: 500,
    lead: 800,
    writer: (dir, w, n, at, mode) => ["python3", [PY_WRITER, mode, dir, w, w, `${n}`, `${at}`]],
  },
  {
    name: "C++ client (`update_status`)",
    n: 500,
    lead: 300,
    writer: (dir, w, n, at, mode) => [CPP_BIN, [mode, w, w, `${n}`, `${at}`], { EDGEWATCH_DIR: dir }],
  },
  {
    name: "shell client (one `edgewatch-status.sh set` per update)",
    n: 60,
    lead: 300,
    writer: (dir, w, n, at, mode) => [
      "dash",
      [
        "-c",
        // wait for the start time, then time N client invocations (the cost includes starting the script)
        `while [ "$(date +%s%3N)" -lt ${at} ]; do sleep 0.01; done; s=$(date +%s%6N); i=0; while [ $i -lt ${n} ]; do i=$((i+1)); dash "$0" set -s ${w} -d "$1" ${mode === "unique" ? `u_${w}_$i=1` : `c_${w}=$i`} || exit 1; done; e=$(date +%s%6N); echo $(( (e - s) / ${n} ))`,
        SH_CLIENT,
        dir,
      ],
    ],
  },
];
const peer = {
  name: "**peer**: timelapse-script read-modify-write (`update_status(**fields)`)",
  n: 500,
  lead: 800,
  writer: (dir, w, n, at, mode) => [
    "python3",
    [PEER, w, `${n}`, `${at}`, mode],
    { EW_PEER_STATUS_FILE: join(dir, "timelapse_status.json") },
  ],
};

function runProcess(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => {
      out += d;
    });
    p.stderr.on("data", (d) => {
      err += d;
    });
    p.on("error", reject);
    p.on("exit", (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`${cmd} ${args.join(" ")}: exit ${code}: ${err}`)),
    );
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** What a reader (the agent, or the timelapse scripts' status server) sees meanwhile: reads that failed to parse. */
function startReader(dir, isPeer) {
  const state = { running: true, reads: 0, failed: 0 };
  const files = () => {
    if (isPeer) return [join(dir, "timelapse_status.json")];
    try {
      return readdirSync(join(dir, "status.d"))
        .filter((n) => !n.startsWith(".") && n.endsWith(".json"))
        .map((n) => join(dir, "status.d", n));
    } catch {
      return [];
    }
  };
  state.done = (async () => {
    while (state.running) {
      for (const f of files()) {
        let text;
        try {
          text = await readFile(f, "utf8");
        } catch {
          continue; // not created yet
        }
        state.reads++;
        try {
          JSON.parse(text);
        } catch {
          state.failed++;
        }
      }
      await sleep(2);
    }
  })();
  return state;
}

let runId = 0;
/** One run: W writers together. Returns per-writer µs/update, keys expected/present, parseable. */
async function oneRun(impl, W, isPeer, mode) {
  const dir = join(work, `run-${++runId}`);
  mkdirSync(dir, { recursive: true });
  const at = Date.now() + impl.lead;
  const writers = Array.from({ length: W }, (_, i) => `w${i + 1}`);
  const reader = startReader(dir, isPeer);
  let outs;
  try {
    outs = await Promise.all(
      writers.map((w) => {
        const [cmd, args, env] = impl.writer(dir, w, impl.n, at, mode);
        return runProcess(cmd, args, env);
      }),
    );
  } finally {
    reader.running = false;
    await reader.done;
  }
  const us = outs.map((o) => Number(o.split(/\s+/)[0]));
  const raised = outs.reduce((a, o) => a + Number(o.split(/\s+/)[1] ?? 0), 0);
  let doc;
  let parseable = true;
  if (isPeer) {
    try {
      doc = JSON.parse(readFileSync(join(dir, "timelapse_status.json"), "utf8"));
    } catch {
      parseable = false;
      doc = {};
    }
  } else {
    doc = await readDeviceStatus({ dir });
  }
  const expected = W * impl.n;
  let present = 0;
  for (const w of writers) {
    for (let i = 1; i <= impl.n; i++) {
      if (mode === "unique" ? doc[`u_${w}_${i}`] === 1 : i === impl.n && doc[`c_${w}`] === impl.n) present++;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return {
    us,
    expected: mode === "unique" ? expected : W,
    present,
    parseable,
    raised,
    reads: reader.reads,
    failedReads: reader.failed,
  };
}

/**
 * Runs every implementation at W = 4 and 8 in one mode, interleaving the implementations run by run so
 * that the machine's load drift hits them alike; returns table rows with the peer's ratio.
 */
async function measure(mode, runs, peerRuns) {
  const rows = [];
  for (const W of [4, 8]) {
    const all = [...impls, peer];
    const results = new Map(all.map((impl) => [impl, []]));
    for (let r = 0; r < Math.max(runs, peerRuns); r++) {
      for (const impl of all) {
        const isPeer = impl === peer;
        if (r < (isPeer ? peerRuns : runs)) results.get(impl).push(await oneRun(impl, W, isPeer, mode));
      }
    }
    const peerUs = median(results.get(peer).flatMap((x) => x.us));
    for (const impl of all) {
      const res = results.get(impl);
      const isPeer = impl === peer;
      const expected = res.reduce((a, x) => a + x.expected, 0);
      const present = res.reduce((a, x) => a + x.present, 0);
      const us = median(res.flatMap((x) => x.us));
      const row = {
        name: impl.name,
        W,
        n: impl.n,
        runs: res.length,
        us,
        ratio: isPeer ? "1.00" : (us / peerUs).toFixed(2),
        lost: expected - present,
        expected,
        lostPct: ((100 * (expected - present)) / expected).toFixed(1),
        unparseable: res.filter((x) => !x.parseable).length,
        raised: res.reduce((a, x) => a + x.raised, 0),
        reads: res.reduce((a, x) => a + x.reads, 0),
        failedReads: res.reduce((a, x) => a + x.failedReads, 0),
      };
      rows.push(row);
      console.error(
        `  ${mode} W=${W} ${impl.name}: ${us.toFixed(1)} µs/update, lost ${row.lost}/${expected}, failed reads ${row.failedReads}/${row.reads}`,
      );
    }
  }
  return rows;
}

const costRows = await measure("count", RUNS, RUNS);
const lossRows = await measure("unique", RUNS, PEER_RUNS);

const costFmt = (r) =>
  `| ${r.name} | ${r.W} | ${r.n} × ${r.runs} runs | ${r.us.toFixed(0)} | ${r.ratio} | ${r.lost} of ${r.expected} |`;
const lossFmt = (r) =>
  `| ${r.name} | ${r.W} | ${r.n} × ${r.runs} runs | ${r.us.toFixed(0)} | ${r.ratio} | ${r.lost} of ${r.expected} (${r.lostPct} %) | ${r.unparseable} of ${r.runs} | ${r.failedReads} of ${r.reads} | ${r.raised} |`;
const out = `## Status protocol writers under concurrency

W writer processes update status at the same moment, each N times. edgewatch writers each own a
fragment (\`status.d/<source>.json\`, temp file + rename: TypeScript library, Python, C++ and shell
clients); the peer is the timelapse scripts' \`update_status(**fields)\` (bench/peers/seed_rmw_writer.py), where
every program read-modify-writes one shared file through one shared temp name. The implementations'
runs are interleaved (so load drift on this shared machine hits all alike). µs/update is the median
over every writer of every run, timed inside the writer's own loop, with W processes sharing the
machine's cores (the shell client's figure includes starting \`dash\`, \`awk\`, \`date\` and \`mv\` for
each update, as a shell script pays it). Files are on tmpfs (${base}), like /run/edgewatch.

**Per-update cost** (update i of writer w sets \`c_<w>\` = i, so the document keeps its size, as a capture
loop's status does):

| writer | concurrent writers | updates per writer | µs/update (median) | × peer | writers whose final value is missing |
| --- | --- | --- | --- | --- | --- |
${costRows.map(costFmt).join("\n")}

**Lost updates** (update i of writer w adds the key \`u_<w>_<i>\`; every key missing from the merged
document after all writers finished is a lost update; the documents grow with the keys, so µs/update
is higher here; meanwhile the benchmark process reads and parses the status file(s) every 2 ms, as the
agent or the timelapse scripts' status server would):

| writer | concurrent writers | updates per writer | µs/update (median) | × peer | lost updates | runs leaving an unparseable file | reads during the run that failed to parse | updates that raised |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${lossRows.map(lossFmt).join("\n")}

The peer loses updates because writers overwrite each other's read-modify-write; its shared temp name
also lets one writer rename another's half-written file into place (an unparseable status file when
the run ends on one) or find the temp file already renamed away (\`update_status\` raises
FileNotFoundError — counted in "updates that raised"). edgewatch's writers lose nothing at any
concurrency because no two programs write the same file.

Where the time goes: every writer does one read, one small write and one rename per update with
blocking system calls (the TypeScript library too: \`updateStatus\` uses synchronous fs calls for
these few hundred bytes on a tmpfs, and creates the folder once per process). The TypeScript figure
still includes a Promise per update and the library's validation and deep merge in JavaScript; the
shell client pays for starting processes (dash, awk, date, mv) on every update.
`;
process.stdout.write(out);
