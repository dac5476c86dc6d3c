#!/usr/bin/env node
// Status writers under concurrency: per-update cost and lost updates with 4 and 8 concurrent writer
// processes, for the TypeScript library and the Python, C++ and shell clients (status protocol v1: one
// fragment per writer, temp file + rename) versus seed 000's read-modify-write status writer
// (bench/peers/seed_rmw_writer.py: every writer rewrites ONE shared file through ONE shared temp name).
//
// Method: in each run W writers start together (a shared start time), and each makes N updates; update i
// of writer w adds the key u_<w>_<i>. After the run the merged document (edgewatch: readDeviceStatus from
// dist/index.js; peer: the status file) must hold all W×N keys; every missing key is a lost update.
// Each writer times its own loop (µs/update). Files live on tmpfs (/dev/shm) like /run/edgewatch.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
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

const RUNS = Number(process.env.EW_BENCH_RUNS ?? 3);
const PEER_RUNS = Number(process.env.EW_BENCH_PEER_RUNS ?? 5);

/** One writer process per entry: cmd/args for writer `w` of a run in `dir`, starting at epoch ms `at`. */
const impls = [
  {
    name: "TypeScript library (`updateStatus`)",
    n: 500,
    lead: 2500, // node + tsx start-up before the shared start time
    writer: (dir, w, n, at) => [process.execPath, ["--import", "tsx", TS_WRITER, "unique", dir, w, w, `${n}`, `${at}`]],
  },
  {
    name: "Python client (`update_status`)",
    n: 500,
    lead: 800,
    writer: (dir, w, n, at) => ["python3", [PY_WRITER, "unique", dir, w, w, `${n}`, `${at}`]],
  },
  {
    name: "C++ client (`update_status`)",
    n: 500,
    lead: 300,
    writer: (dir, w, n, at) => [CPP_BIN, ["unique", w, w, `${n}`, `${at}`], { EDGEWATCH_DIR: dir }],
  },
  {
    name: "shell client (one `edgewatch-status.sh set` per update)",
    n: 100,
    lead: 300,
    writer: (dir, w, n, at) => [
      "dash",
      [
        "-c",
        // wait for the start time, then time N client invocations (the cost includes starting the script)
        `while [ "$(date +%s%3N)" -lt ${at} ]; do sleep 0.01; done; s=$(date +%s%6N); i=0; while [ $i -lt ${n} ]; do i=$((i+1)); dash "$0" set -s ${w} -d "$1" u_${w}_$i=1 || exit 1; done; e=$(date +%s%6N); echo $(( (e - s) / ${n} ))`,
        SH_CLIENT,
        dir,
      ],
    ],
  },
];
const peer = {
  name: "**peer**: seed 000 read-modify-write (`update_status(**fields)`)",
  n: 500,
  lead: 800,
  writer: (dir, w, n, at) => [
    "python3",
    [PEER, w, `${n}`, `${at}`],
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

let runId = 0;
/** One run: W writers together. Returns per-writer µs/update, keys expected/present, parseable. */
async function oneRun(impl, W, isPeer) {
  const dir = join(work, `run-${++runId}`);
  mkdirSync(dir, { recursive: true });
  const at = Date.now() + impl.lead;
  const writers = Array.from({ length: W }, (_, i) => `w${i + 1}`);
  const outs = await Promise.all(
    writers.map((w) => {
      const [cmd, args, env] = impl.writer(dir, w, impl.n, at);
      return runProcess(cmd, args, env);
    }),
  );
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
  for (const w of writers) for (let i = 1; i <= impl.n; i++) if (doc[`u_${w}_${i}`] === 1) present++;
  rmSync(dir, { recursive: true, force: true });
  return { us, expected, present, parseable, raised };
}

const rows = [];
for (const W of [4, 8]) {
  const peerRes = [];
  for (let r = 0; r < PEER_RUNS; r++) peerRes.push(await oneRun(peer, W, true));
  const peerUs = median(peerRes.flatMap((x) => x.us));
  const summarize = (impl, res, isPeer) => {
    const expected = res.reduce((a, x) => a + x.expected, 0);
    const present = res.reduce((a, x) => a + x.present, 0);
    const us = median(res.flatMap((x) => x.us));
    rows.push({
      name: impl.name,
      W,
      n: impl.n,
      runs: res.length,
      us,
      ratio: isPeer ? "1.00" : (us / peerUs).toFixed(2),
      lost: expected - present,
      lostPct: ((100 * (expected - present)) / expected).toFixed(1),
      unparseable: res.filter((x) => !x.parseable).length,
      raised: res.reduce((a, x) => a + x.raised, 0),
    });
    console.error(`  W=${W} ${impl.name}: ${us.toFixed(1)} µs/update, lost ${expected - present}/${expected}`);
  };
  for (const impl of impls) {
    const res = [];
    for (let r = 0; r < RUNS; r++) res.push(await oneRun(impl, W, false));
    summarize(impl, res, false);
  }
  summarize(peer, peerRes, true);
}

const fmt = (r) =>
  `| ${r.name} | ${r.W} | ${r.n} × ${r.runs} runs | ${r.us.toFixed(0)} | ${r.ratio} | ${r.lost} (${r.lostPct} %) | ${r.unparseable} of ${r.runs} | ${r.raised} |`;
const out = `## Status protocol writers under concurrency

W writer processes update status at the same moment; update i of writer w adds the key \`u_<w>_<i>\`,
so every key missing from the merged document afterwards is a lost update. edgewatch writers each own
a fragment (\`status.d/<source>.json\`, temp file + rename); the peer is seed 000's
\`update_status(**fields)\`, where every program read-modify-writes one shared file through one shared
temp name. µs/update is the median over every writer of every run, timed inside the writer's loop
(the shell client's figure includes starting \`dash\` and its tools for each update, as a shell script
pays it). Both sides' files grow with the keys added. Files are on tmpfs (${base}).

| writer | concurrent writers | updates per writer | µs/update (median) | × peer | lost updates | runs leaving an unparseable file | updates that raised |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.map(fmt).join("\n")}

Read: the ratio column compares each writer's per-update cost with the peer's in the same run and at the
same concurrency; "lost updates" counts keys missing after all writers finished. The peer's losses come
from writers overwriting each other's read-modify-write; its shared temp name also lets one writer
rename another's half-written file into place (an unparseable status file) or find the temp file gone
(\`update_status\` raises).
`;
process.stdout.write(out);
