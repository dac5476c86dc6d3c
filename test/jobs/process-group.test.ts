import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { alive } from "../helpers/process.ts";
import { tempDir, waitFor } from "../helpers/tools.ts";
import { ew } from "./helpers.ts";

test("a job's timeout ends its whole process group: a command that forked a grandchild leaves neither running", async (t) => {
  const dir = tempDir(t);
  const pids = join(dir, "pids");
  const found: number[] = [];
  t.after(() => {
    for (const pid of found) if (alive(pid)) process.kill(pid, "SIGKILL");
  });
  // sh forks a background sleep (the grandchild) and waits on a foreground one; neither holds the pipes
  const script = `sleep 60 >/dev/null 2>&1 & echo $! > ${pids}; echo $$ >> ${pids}; sleep 60 >/dev/null 2>&1`;
  const r = ew([
    "run",
    "--name",
    "forker",
    "--timeout",
    "1s",
    "--dir",
    join(dir, "status"),
    "--state-dir",
    join(dir, "state"),
    "--",
    "sh",
    "-c",
    script,
  ]);
  found.push(...readFileSync(pids, "utf8").trim().split("\n").map(Number));
  assert.equal(r.code, 124, `the attempt timed out; stderr: ${r.err}`);
  assert.equal(found.length, 2, "the grandchild's and the command's pids were written");
  await waitFor("the command and its grandchild to be gone", () => found.every((pid) => !alive(pid)), 10_000);
});
