// The supervisor that reads the agent's output goes away (a crashed demo, `edgewatch agent | head`):
// every later write to stdout/stderr fails with EPIPE. The agent must drop those lines and keep
// working, not turn each failed write into an error report written to the same broken pipe.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { writeFileAtomicSync } from "../../../src/protocol/atomic.ts";
import { startAgentProcess, waitFor } from "./agent-process.ts";

/** CPU time (user + system) the process has used, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

test("with its stdout and stderr pipes closed, the agent drops its log lines and keeps serving without spinning", {
  timeout: 180_000,
}, async (t) => {
  const a = await startAgentProcess(t);
  const pid = a.child.pid as number;
  // The reader of both pipes goes away.
  a.child.stdout?.destroy();
  a.child.stderr?.destroy();
  // Lines to log: refused fragments, one warning each.
  for (let i = 0; i < 5; i++) writeFileAtomicSync(join(a.statusDir, "status.d", `bad${i}.json`), "{not json");
  await waitFor("the agent still answers /health", async () => (await a.json("/health")).status === 200);
  // Spinning on failed writes burns a whole core; an agent that dropped the lines is idle. Measured
  // over 3 s of wall time, the gap is ~300 ticks against a handful: the bound is far from both.
  const before = cpuTicks(pid);
  await new Promise((r) => setTimeout(r, 3000));
  const used = cpuTicks(pid) - before;
  assert.ok(used < 150, `the agent used ${used} ticks of CPU in 3 s with its output pipes closed (a spin is ~300)`);
  // still reading: a good fragment shows up on /status
  writeFileAtomicSync(join(a.statusDir, "status.d", "cam.json"), JSON.stringify({ status: "capturing" }));
  await waitFor(
    "the good fragment",
    async () => (await a.json<{ status?: string }>("/status")).body.status === "capturing",
  );
  assert.equal(a.child.exitCode, null, "the agent is still running");
});
