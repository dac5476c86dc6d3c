// Crash safety: writers in four languages (TypeScript library, Python, C++ and shell clients) are
// SIGKILLed at random moments while they replace big fragments, more than 200 times in all. After every
// kill each fragment still parses, and the torn temp files the kills leave behind are never read as
// fragments (the reader ignores dot-named files).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parseFragment } from "../../src/protocol/fragment.ts";
import { type ReaderWarning, readFragmentsOnce, StatusReader } from "../../src/protocol/reader.ts";
import { cppClient, root, SH_CLIENT } from "../clients/clients.ts";
import { tempDir, waitFor } from "../helpers/tools.ts";

const TS_WRITER = join(root, "test", "clients", "fixtures", "ts-writer.ts");
const PY_WRITER = join(root, "test", "clients", "fixtures", "py_writer.py");

interface Lane {
  source: string;
  kills: number;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** Spawn in its own process group, wait for "ready", let it write for a random moment, SIGKILL the group. */
async function killOnce(lane: Lane): Promise<void> {
  const p: ChildProcess = spawn(lane.cmd, lane.args, {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: lane.env ?? process.env,
  });
  let err = "";
  p.stderr?.on("data", (d) => {
    err += d;
  });
  const exited = new Promise<void>((resolve) => p.on("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    p.on("error", reject);
    p.stdout?.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) resolve();
    });
    p.on("exit", (code, signal) => reject(new Error(`${lane.source} writer exited early (${code ?? signal}): ${err}`)));
  });
  await sleep(Math.random() * 40);
  try {
    process.kill(-(p.pid as number), "SIGKILL");
  } catch {
    // already gone
  }
  await exited;
}

async function checkEveryFragment(dir: string): Promise<{ fragments: number; temps: number }> {
  const names = await fsp.readdir(join(dir, "status.d"));
  let fragments = 0;
  for (const name of names.filter((n) => !n.startsWith("."))) {
    const path = join(dir, "status.d", name);
    parseFragment(await fsp.readFile(path), 0); // throws on a torn or invalid fragment
    fragments++;
  }
  return { fragments, temps: names.filter((n) => n.startsWith(".")).length };
}

test("writers SIGKILLed at random moments never leave a fragment that fails to parse", {
  timeout: 300_000,
}, async (t) => {
  const dir = tempDir(t);
  await fsp.mkdir(join(dir, "status.d"), { recursive: true });
  const cpp = cppClient(join(dir, "bin"));
  assert.ok(cpp);
  const bin = join(dir, "bin", "ew-status");
  const big = "y".repeat(100_000);
  const shLoop = `echo ready; i=0; while :; do i=$((i+1)); dash "$0" set -s crash-sh -d "$1" i=$i blob=${big} || exit 1; done`;
  const lanes: Lane[] = [
    { source: "crash-py", kills: 80, cmd: "python3", args: [PY_WRITER, "blob", dir, "crash-py"] },
    {
      source: "crash-cpp",
      kills: 85,
      cmd: bin,
      args: ["blob", "crash-cpp"],
      env: { ...process.env, EDGEWATCH_DIR: dir },
    },
    { source: "crash-sh", kills: 30, cmd: "dash", args: ["-c", shLoop, SH_CLIENT, dir] },
    {
      source: "crash-ts",
      kills: 10,
      cmd: process.execPath,
      args: ["--import", "tsx", TS_WRITER, "blob", dir, "crash-ts"],
    },
  ];

  let kills = 0;
  let maxTemps = 0;
  const failures: string[] = [];
  await Promise.all(
    lanes.map(async (lane) => {
      for (let k = 0; k < lane.kills; k++) {
        await killOnce(lane);
        kills++;
        try {
          const { temps } = await checkEveryFragment(dir);
          maxTemps = Math.max(maxTemps, temps);
        } catch (err) {
          failures.push(`after kill ${k} of ${lane.source}: ${(err as Error).message}`);
        }
      }
    }),
  );
  assert.deepEqual(failures, [], "a fragment failed to parse after a kill");
  assert.ok(kills >= 200, `expected at least 200 kills, got ${kills}`);

  const left = (await fsp.readdir(join(dir, "status.d"))).filter((n) => n.startsWith("."));
  t.diagnostic(`${kills} kills; ${left.length} torn temp files left (at most ${maxTemps} at once)`);
  assert.ok(left.length > 0, "the kills must have landed mid-write at least once (no temp file was left)");

  // A fresh reader over the debris: every source that wrote once is there, no warning, no temp file read.
  const warnings: ReaderWarning[] = [];
  const reader = new StatusReader({ dir, onEvent: () => {}, onWarning: (w) => warnings.push(w) });
  await reader.start();
  t.after(() => reader.stop());
  await reader.settle();
  const fragments = (await fsp.readdir(join(dir, "status.d"))).filter((n) => !n.startsWith("."));
  const sources = Object.keys(reader.document().sources as object).sort();
  assert.deepEqual(sources, fragments.map((n) => n.slice(0, -5)).sort());
  assert.ok(sources.length >= 3, `expected most lanes to have written a fragment, got ${sources.join(", ")}`);
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    (await readFragmentsOnce(dir)).map((f) => f.source).sort(),
    sources,
    "readFragmentsOnce skips the temp files too",
  );
});

test("a torn temp file appearing beside a fragment is never read as one", async (t) => {
  const dir = tempDir(t);
  await fsp.mkdir(join(dir, "status.d"), { recursive: true });
  await fsp.writeFile(join(dir, "status.d", "cam.json"), JSON.stringify({ status: "capturing", n: 1 }));
  const warnings: ReaderWarning[] = [];
  let changes = 0;
  const reader = new StatusReader({
    dir,
    onEvent: () => {},
    onWarning: (w) => warnings.push(w),
    onChange: () => {
      changes++;
    },
  });
  await reader.start();
  t.after(() => reader.stop());
  // What a writer killed mid-write leaves: half a JSON document under the dot-temp name the clients use.
  const torn = ['{"status":"capt', '{"status":"idle","n":2}', "\u0000\u0001binary"];
  for (const [i, body] of torn.entries()) {
    await fsp.writeFile(join(dir, "status.d", `.cam.json.${1000 + i}.abcdef.tmp`), body);
  }
  await fsp.writeFile(join(dir, "status.d", ".cam.json.77.new.tmp"), torn[0] as string);
  // Then a real update, so we know the watcher has processed everything before it.
  await fsp.writeFile(join(dir, "status.d", ".other.json.1.tmp"), '{"n":3}');
  await fsp.rename(join(dir, "status.d", ".other.json.1.tmp"), join(dir, "status.d", "other.json"));
  await waitFor("the reader to see other.json", async () => {
    await reader.settle();
    return Object.hasOwn(reader.document().sources as object, "other");
  });
  const doc = reader.document();
  assert.deepEqual(Object.keys(doc.sources as object).sort(), ["cam", "other"]);
  assert.equal(doc.status, "capturing");
  assert.equal(doc.n, 3);
  assert.deepEqual(warnings, [], "temp files must not even raise warnings");
  assert.ok(changes >= 1);
  assert.deepEqual(
    (await readFragmentsOnce(dir)).map((f) => f.source).sort(),
    ["cam", "other"],
    "readFragmentsOnce ignores them too",
  );
});
