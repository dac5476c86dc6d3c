// Fault tests against the real agent process (bin/edgewatch agent; `node scripts/build.mjs` first).
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { emitEvent } from "../../../src/protocol/events.ts";
import { tempDir, waitFor as waitForBase } from "../../helpers/tools.ts";
import { webhookServer } from "./contracts.ts";

/** Generous deadlines: the machine may be heavily loaded; nothing here asserts on elapsed time. */
const waitFor = <T>(what: string, check: () => T | Promise<T>, ms = 0) =>
  waitForBase(what, check, Math.max(ms, 120_000));

const BIN = join(process.cwd(), "bin", "edgewatch");

function config(dir: string, stateDir: string, hookUrl: string): string {
  const f = join(dir, "agent.yaml");
  writeFileSync(
    f,
    `device: { id: pi-fault, site: lab }
status_dir: ${join(dir, "status")}
state_dir: ${stateDir}
http: { bind: 127.0.0.1, port: 0 }
notify:
  timeout: 60s
  channels:
    - { type: webhook, url: "${hookUrl}/hook" }
  outbox: { backoff_initial: 100ms, backoff_max: 500ms, summary_after: 1000 }
`,
  );
  return f;
}

async function startAgent(t: TestContext, cfg: string): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn(process.execPath, [BIN, "agent", "--config", cfg], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (d: Buffer) => {
    log += d.toString();
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  await waitFor("agent listening", () => log.includes("agent listening") || child.exitCode !== null, 60_000);
  assert.equal(child.exitCode, null, log);
  return { child, log: () => log };
}

const pending = (stateDir: string) =>
  readdirSync(join(stateDir, "outbox", "pending")).filter((n) => n.endsWith(".json"));

test("agent SIGKILLed with notifications pending: all delivered after restart, none twice", async (t) => {
  const dir = tempDir(t);
  const stateDir = join(dir, "state");
  const hook = await webhookServer(t);
  await hook.down();
  const cfg = config(dir, stateDir, hook.url);
  const a = await startAgent(t, cfg);
  for (let i = 0; i < 5; i++) {
    await emitEvent(
      "timelapse",
      { level: "error", message: `video creation failed ${i}`, code: `VID-${i}` },
      { dir: join(dir, "status") },
    );
  }
  await waitFor(
    "5 notifications in the outbox, maildir drained",
    () => {
      const left = readdirSync(join(dir, "status", "events", "new"));
      return pending(stateDir).length === 5 && left.length === 0;
    },
    60_000,
  );
  a.child.kill("SIGKILL");
  await new Promise((r) => a.child.once("exit", r));
  await hook.up();
  const b = await startAgent(t, cfg);
  await waitFor(
    "all 5 delivered after the restart",
    () => hook.accepted.length >= 5 && pending(stateDir).length === 0,
    60_000,
  );
  await new Promise((r) => setTimeout(r, 500));
  const codes = hook.accepted.map((r) => r.json.alert.fields.code).sort();
  assert.deepEqual(
    codes,
    ["VID-0", "VID-1", "VID-2", "VID-3", "VID-4"],
    "each exactly once; restored alerts do not fire again",
  );
  b.child.kill("SIGTERM");
  await new Promise((r) => b.child.once("exit", r));
});

test("agent with a full disk under state_dir: clear error, keeps running, events wait in the maildir, all delivered later", async (t) => {
  if (process.getuid?.() !== 0) {
    if (process.env.CI === "true")
      throw new Error("CI=true: this test must run as root (needs root to mount a small tmpfs)");
    t.skip("needs root to mount a small tmpfs");
    return;
  }
  const root = mkdtempSync(join(tmpdir(), "ew-agentfull-"));
  const stateDir = join(root, "state");
  mkdirSync(stateDir);
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=96k", "tmpfs", stateDir]);
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    if (process.env.CI === "true") throw err;
    t.skip(`cannot mount tmpfs: ${(err as Error).message}`);
    return;
  }
  let agent: ChildProcess | undefined;
  t.after(async () => {
    // Stop the agent before removing its folders: it keeps writing into them until it exits.
    if (agent && agent.exitCode === null && agent.signalCode === null) {
      agent.kill("SIGKILL");
      await new Promise((r) => agent?.once("exit", r));
    }
    execFileSync("umount", ["-l", stateDir]);
    rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  });
  const hook = await webhookServer(t);
  await hook.down();
  const cfg = config(root, stateDir, hook.url);
  const a = await startAgent(t, cfg);
  agent = a.child;
  const status = join(root, "status");
  const N = 20;
  const pad = "x".repeat(8000);
  for (let i = 0; i < N; i++) {
    await emitEvent(
      "timelapse",
      { level: "error", message: `video creation failed ${i}`, code: `VID-${i}`, fields: { pad } },
      { dir: status },
    );
  }
  await waitFor("the disk-full error in the log", () => /cannot write notification to .*ENOSPC/.test(a.log()), 60_000);
  assert.match(a.log(), /the event stays in the maildir and is retried/);
  const health = await fetch(`${/"url":"([^"]+)"/.exec(a.log())?.[1]}/health`);
  assert.equal(health.status, 200, "the agent keeps serving");
  assert.ok(readdirSync(join(status, "events", "new")).length > 0, "events not handed on are kept, not lost");
  for (const f of pending(stateDir)) JSON.parse(readFileSync(join(stateDir, "outbox", "pending", f), "utf8"));
  assert.deepEqual(
    readdirSync(join(stateDir, "outbox", "pending")).filter((n) => n.startsWith(".")),
    [],
    "no temp files left behind",
  );

  // Other rules may notify about the device itself (e.g. its disk); count the event alerts.
  const eventCodes = () =>
    hook.accepted
      .filter((r) => r.json.alert?.rule === "events" && r.json.alert.notice === "firing")
      .map((r) => r.json.alert.fields.code);
  await hook.up(); // deliveries free the space; the reader retries the waiting events
  await waitFor("every event delivered once there is room", () => new Set(eventCodes()).size === N, 120_000).catch(
    (err) => {
      throw new Error(
        `${err.message}; delivered ${hook.accepted.map((r) => r.json.alert?.fields?.code ?? r.json.message).join(",")}; maildir ${readdirSync(join(status, "events", "new")).length}; log tail:\n${a.log().slice(-3000)}`,
      );
    },
  );
  await new Promise((r) => setTimeout(r, 500));
  const codes = eventCodes();
  assert.equal(codes.length, N, `none twice: ${codes.join(",")}`);
  const others = hook.accepted.filter((r) => r.json.alert?.rule !== "events").map((r) => r.json.message);
  t.diagnostic(`other notifications during the test: ${others.join(" | ") || "none"}`);
  a.child.kill("SIGTERM");
});
