// Zero lost updates with concurrent writers in three languages, and a reader that never sees a torn file:
// 8 writer processes (3 TypeScript library, 3 Python client, 2 shell client) each update their own counter
// 500 times, while 2 more processes (TypeScript and Python) write the SAME source, taking turns by the
// value they read. Meanwhile this process parses every fragment and the merged document continuously.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parseFragment } from "../../src/protocol/fragment.ts";
import { mergeFragments, type SourceFragment } from "../../src/protocol/merge.ts";
import { type ReaderWarning, readFragmentsOnce, StatusReader } from "../../src/protocol/reader.ts";
import { root, SH_CLIENT } from "../clients/clients.ts";
import { tempDir, waitFor } from "../helpers/tools.ts";

const N = 500;
const TURNS = 250; // per alternating process
const TS_WRITER = join(root, "test", "clients", "fixtures", "ts-writer.ts");
const PY_WRITER = join(root, "test", "clients", "fixtures", "py_writer.py");

function exitOf(p: ChildProcess, what: string, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    p.on("error", reject);
    p.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${what} exited with ${code ?? signal}: ${stderr()}`)),
    );
  });
}

test("8 writers in 3 languages + 2 alternating writers on one source: no lost update, no parse error", {
  timeout: 240_000,
}, async (t) => {
  const dir = tempDir(t);
  await fsp.mkdir(join(dir, "status.d"), { recursive: true });

  const warnings: ReaderWarning[] = [];
  const reader = new StatusReader({ dir, onEvent: () => {}, onWarning: (w) => warnings.push(w) });
  await reader.start();
  t.after(() => reader.stop());

  const writers: { source: string; cmd: string; args: string[] }[] = [];
  for (const i of [1, 2, 3]) {
    const source = `ts-${i}`;
    writers.push({
      source,
      cmd: process.execPath,
      args: ["--import", "tsx", TS_WRITER, "counter", dir, source, `${N}`],
    });
  }
  for (const i of [1, 2, 3]) {
    const source = `py-${i}`;
    writers.push({ source, cmd: "python3", args: [PY_WRITER, "counter", dir, source, `${N}`] });
  }
  for (const i of [1, 2]) {
    const source = `sh-${i}`;
    const loop = `i=0; while [ $i -lt ${N} ]; do i=$((i+1)); dash "$0" set -s ${source} -d "$1" c_${source}=$i || exit 1; done`;
    writers.push({ source, cmd: "dash", args: ["-c", loop, SH_CLIENT, dir] });
  }
  const alternating = [
    { cmd: process.execPath, args: ["--import", "tsx", TS_WRITER, "alternate", dir, "shared", "a", "0", `${TURNS}`] },
    { cmd: "python3", args: [PY_WRITER, "alternate", dir, "shared", "b", "1", `${TURNS}`] },
  ];

  const children: ChildProcess[] = [];
  t.after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  });
  const exits: Promise<void>[] = [];
  for (const w of [...writers, ...alternating]) {
    const p = spawn(w.cmd, w.args, { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr?.on("data", (d) => {
      err += d;
    });
    children.push(p);
    exits.push(exitOf(p, `${w.cmd} ${w.args.slice(-4).join(" ")}`, () => err));
  }

  // The continuous reader: every fragment parsed, the document merged, counters never go backwards.
  let running = true;
  let reads = 0;
  let parseErrors = 0;
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const readLoop = (async () => {
    while (running) {
      const names = (await fsp.readdir(join(dir, "status.d"))).filter((n) => !n.startsWith(".") && n.endsWith(".json"));
      const fragments: SourceFragment[] = [];
      for (const name of names) {
        const path = join(dir, "status.d", name);
        try {
          const buf = await fsp.readFile(path);
          const p = parseFragment(buf, 0);
          fragments.push({ source: name.slice(0, -5), data: p.data, updatedAtMs: p.updatedAtMs, mtimeMs: 0 });
        } catch (err) {
          parseErrors++;
          problems.push(`${name}: ${(err as Error).message}`);
        }
      }
      const doc = mergeFragments(fragments);
      for (const [k, v] of Object.entries(doc)) {
        if (!k.startsWith("c_") && k !== "turn") continue;
        const prev = seen.get(k) ?? 0;
        if (typeof v !== "number" || v < prev) problems.push(`${k} went from ${prev} to ${String(v)}`);
        else seen.set(k, v);
      }
      reads++;
      await sleep(1);
    }
  })();

  try {
    await Promise.all(exits);
  } finally {
    running = false;
    await readLoop;
  }
  // What the files say once every writer has exited: nothing lost.
  const doc = mergeFragments(await readFragmentsOnce(dir));
  for (const w of writers) assert.equal(doc[`c_${w.source}`], N, `${w.source}'s final counter`);
  assert.equal(doc.turn, 2 * TURNS, "every alternating update of the shared source is there");
  assert.equal(doc.by_a, TURNS);
  assert.equal(doc.by_b, TURNS);
  // The inotify-driven reader converges on the same document (its events may lag on a loaded machine).
  await waitFor(
    "the StatusReader to catch up with the last writes",
    async () => {
      await reader.settle();
      const live = reader.document();
      return writers.every((w) => live[`c_${w.source}`] === N) && live.turn === 2 * TURNS && live.by_a === TURNS;
    },
    60_000,
  );
  assert.equal(parseErrors, 0, `the reader saw parse errors: ${problems.slice(0, 5).join("; ")}`);
  assert.deepEqual(problems, []);
  assert.deepEqual(warnings, [], "the StatusReader warned");
  assert.ok(reads > 20, `the reader must have run concurrently with the writers (${reads} passes)`);
  const left = (await fsp.readdir(join(dir, "status.d"))).filter((n) => n.startsWith("."));
  assert.deepEqual(left, [], "no temp file is left behind by writers that finished normally");
});
