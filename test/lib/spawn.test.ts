import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runCommand, spawnGroup } from "../../src/lib/spawn.ts";
import { alive } from "../helpers/process.ts";
import { tempDir, waitFor } from "../helpers/tools.ts";

test("spawnGroup: past the timeout the group gets SIGTERM, then SIGKILL after the grace when it ignores TERM", async (t) => {
  const dir = tempDir(t);
  const pidFile = join(dir, "pid");
  let told = 0;
  const g = spawnGroup(["sh", "-c", `trap '' TERM; sleep 60 >/dev/null 2>&1 & echo $! > ${pidFile}; wait`], {
    timeoutMs: 300,
    graceMs: 300,
    onTimeout: () => told++,
  });
  const x = await g.exited;
  const grandchild = Number(readFileSync(pidFile, "utf8"));
  t.after(() => {
    if (alive(grandchild)) process.kill(grandchild, "SIGKILL");
  });
  assert.equal(x.timedOut, true);
  assert.equal(told, 1);
  assert.equal(x.signal, "SIGKILL", "TERM was ignored, so KILL ended it");
  await waitFor("the grandchild to be gone", () => !alive(grandchild), 10_000);
});

test("spawnGroup: kill() reaches every process of the group; a program that cannot start says why", async (t) => {
  const dir = tempDir(t);
  const pidFile = join(dir, "pid");
  const g = spawnGroup(["sh", "-c", `sleep 60 >/dev/null 2>&1 & echo $! > ${pidFile}; wait`]);
  await waitFor("the grandchild's pid", () => {
    try {
      return readFileSync(pidFile, "utf8").trim().length > 0;
    } catch {
      return false;
    }
  });
  const grandchild = Number(readFileSync(pidFile, "utf8"));
  t.after(() => {
    if (alive(grandchild)) process.kill(grandchild, "SIGKILL");
  });
  g.kill("SIGTERM");
  const x = await g.exited;
  assert.equal(x.signal, "SIGTERM");
  assert.equal(x.timedOut, false);
  await waitFor("the grandchild to be gone", () => !alive(grandchild), 10_000);

  const missing = await spawnGroup(["/no/such/program"]).exited;
  assert.equal(missing.spawnError?.code, "ENOENT");
  const r = await runCommand(["/no/such/program"], 1000);
  assert.equal(r.result, "error");
  assert.match(r.error ?? "", /could not start "\/no\/such\/program": no such program/);
});
