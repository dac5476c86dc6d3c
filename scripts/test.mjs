#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's own test runner (tsx compiles TypeScript on load).
// `node scripts/test.mjs test/protocol` runs one folder or file.
//
// A test must leave no process behind. Every process of the run inherits EDGEWATCH_TEST_RUN=<id>;
// after the run, any process still alive that carries this id (in its environment) or whose command
// line points into the repository and that was orphaned (re-parented to PID 1) is a leak: it is
// named, killed, and fails the run. Test processes usually live in temp dirs shared with other
// runs, so the environment marker, not a path, is what ties them to this run.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      if (name === "fixtures" || name === "node_modules") continue;
      collect(join(path, name), out);
    }
  } else if (path.endsWith(".test.ts")) {
    out.push(path);
  }
  return out;
}

function read(path) {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** The processes still alive (zombies excluded) that belong to the run `id`: {pid, cmd}. */
function leftovers(id, ownPids = new Set([process.pid])) {
  const marker = `EDGEWATCH_TEST_RUN=${id}`;
  const found = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (ownPids.has(pid)) continue;
    const stat = read(`/proc/${pid}/stat`);
    if (!stat || stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z") continue;
    const cmd = (read(`/proc/${pid}/cmdline`) ?? "").split("\0").filter(Boolean).join(" ");
    const env = (read(`/proc/${pid}/environ`) ?? "").split("\0");
    // a process started outside the run (an editor, a demo) is left alone: only orphans count there
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const mine = env.includes(marker) || (ppid === 1 && cmd.includes(`${REPO}/`));
    if (mine) found.push({ pid, cmd });
  }
  return found;
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ["test"]).flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error("no test files found under", roots.join(" ") || "test");
  process.exit(1);
}
const runId = randomBytes(6).toString("hex");
const before = new Set(leftovers(runId).map((p) => p.pid));
before.add(process.pid);
const res = spawnSync(
  process.execPath,
  // --test-force-exit: a file whose tests finished but left a handle open (a child process, a socket)
  // must not hold the whole run; --test-timeout turns a hung test into a failure that names it.
  [
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=3",
    "--test-force-exit",
    "--test-timeout=600000",
    "--test-reporter=spec",
    ...files,
  ],
  { stdio: "inherit", env: { ...process.env, EDGEWATCH_TEST_RUN: runId } },
);

// A process that is exiting right now gets two seconds to finish before it counts as left behind.
let leaked = leftovers(runId, before);
for (let i = 0; i < 20 && leaked.length > 0; i++) {
  spawnSync("sleep", ["0.1"]);
  leaked = leftovers(runId, before);
}
if (leaked.length > 0) {
  console.error(`\n✖ ${leaked.length} process(es) left behind by the tests (killed now):`);
  for (const p of leaked) {
    console.error(`  pid ${p.pid}: ${p.cmd}`);
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {}
  }
  process.exit(1);
}
process.exit(res.status ?? 1);
