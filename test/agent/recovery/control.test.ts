import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { AuditEntry } from "../../../src/agent/recovery/module.ts";
import { requireTool, tempDir, waitFor } from "../../helpers/tools.ts";
import { post, processState, readLines, readPid, readSteps, startRecovery } from "./harness.ts";

const TOKEN = "s3cret-token-for-tests-0123";

function config(root: string, token: string | undefined) {
  return {
    status_dir: join(root, "run"),
    state_dir: join(root, "state"),
    http: token ? { token } : {},
    recovery: {
      sd_notify: false,
      reboot_delay: 0.2,
      reboot: { type: "command", argv: ["sh", "-c", 'echo reboot >> "$0"', join(root, "marks")], timeout: "10s" },
      camera_test: {
        type: "camera",
        argv: ["sh", "-c", 'printf "\\377\\330jpeg" > "$0"', join(root, "test.jpg")],
        expect_file: join(root, "test.jpg"),
        timeout: "10s",
      },
      // A recovery command that hangs: it must be killed at its timeout and reported.
      camera_recover: {
        type: "command",
        argv: ["sh", "-c", 'echo $$ > "$0"; exec sleep 301.5', join(root, "hang.pid")],
        timeout: 1,
      },
    },
  };
}

const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return null;
  }
};

const allAudit = (root: string) =>
  readLines(join(root, "state", "recovery", "audit.log")).map((l) => JSON.parse(l) as AuditEntry);
/** Audit lines of requests that got past the token check (refusals have their own log). */
const granted = allAudit;
const refused = (root: string) =>
  readLines(join(root, "state", "recovery", "audit-refused.log")).map(
    (l) => JSON.parse(l) as AuditEntry & { count: number },
  );
const refusedTotal = async (url: string) =>
  ((await (await fetch(`${url}/api/recovery`)).json()) as { refused: { total: number } }).refused.total;

test("control routes: token checks, 200 + audit line, hanging command killed at its timeout, reboot answers first", {
  timeout: 60_000,
}, async (t) => {
  const root = tempDir(t, "ew-ctl-");
  const h = await startRecovery(t, config(root, TOKEN));
  const url = h.agent.url;

  const none = await post(`${url}/api/camera/test`);
  assert.equal(none.status, 401);
  assert.match(String(none.body.error), /missing bearer token/);
  const wrong = await post(`${url}/api/camera/test`, "not-the-token-at-all");
  assert.equal(wrong.status, 401);
  assert.match(String(wrong.body.error), /wrong bearer token/);
  assert.deepEqual(
    refused(root).map((l) => [l.action, l.result, l.status, l.count]),
    [["camera_test", "unauthorized", 401, 1]],
    "refused calls are audited apart (the first of a burst at once, the rest counted), and never reach the action",
  );
  assert.equal(await refusedTotal(url), 2);
  assert.deepEqual(allAudit(root), []);

  const ok = await post(`${url}/api/camera/test`, TOKEN);
  assert.equal(ok.status, 200);
  assert.equal(ok.body.result, "ok");
  let lines = granted(root);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.action, "camera_test");
  assert.equal(lines[0]?.result, "ok");
  assert.equal(lines[0]?.status, 200);
  assert.equal(lines[0]?.client, "127.0.0.1");
  assert.ok(Date.parse(lines[0]?.time ?? "") > 0);

  const hang = await post(`${url}/api/camera/recover`, TOKEN);
  assert.equal(hang.status, 504);
  assert.equal(hang.body.result, "timeout");
  const step = (hang.body.steps as { timed_out: boolean; signal: string; error: string }[])[0];
  assert.equal(step?.timed_out, true);
  assert.equal(step?.signal, "SIGKILL");
  assert.match(step?.error ?? "", /still running after its timeout of 1000 ms: killed/);
  const hung = readPid(join(root, "hang.pid")) as number;
  await waitFor("the hanging command to be gone", () => {
    const st = processState(hung);
    return st === null || st === "Z" || cmdline(hung) !== "sleep 301.5"; // (or its pid was reused)
  });
  lines = granted(root);
  assert.deepEqual(
    lines.map((l) => [l.action, l.result, l.status]),
    [
      ["camera_test", "ok", 200],
      ["camera_recover", "timeout", 504],
    ],
  );

  const unconfigured = await post(`${url}/api/system/restart-services`, TOKEN);
  assert.equal(unconfigured.status, 501);
  assert.match(String(unconfigured.body.error), /restart_services is not configured: set recovery.restart_services/);

  const reboot = await post(`${url}/api/system/reboot`, TOKEN);
  assert.equal(reboot.status, 202);
  assert.equal(reboot.body.result, "accepted");
  await waitFor("the reboot action", () => readLines(join(root, "marks")).length === 1);
  const steps = readSteps(join(root, "state", "recovery", "recovery.log")).filter((e) => e.watch === "control");
  const order = steps.map((e) => e.step);
  assert.ok(order.indexOf("reboot_answered") < order.indexOf("reboot_start"), `answer before reboot: ${order}`);
  assert.ok(order.indexOf("reboot_answered") >= 0);
  const again = await post(`${url}/api/system/reboot`, TOKEN);
  assert.equal(again.status, 409, "one reboot at a time");
  assert.deepEqual(
    granted(root).map((l) => l.result),
    ["ok", "timeout", "not_configured", "accepted", "busy"],
  );

  // The counters reach the real /metrics endpoint, in valid exposition format.
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const sample = (name: string, labels: string[], value: string) =>
    metrics
      .split("\n")
      .some((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x)) && l.endsWith(`} ${value}`));
  assert.ok(
    sample("edgewatch_recovery_actions_total", ['watch="control"', 'action="camera_test"', 'result="ok"'], "1"),
  );
  assert.ok(sample("edgewatch_recovery_actions_total", ['action="camera_recover"', 'result="timeout"'], "1"));
  assert.ok(sample("edgewatch_reboots_today", [], "1"));
  const promtool = requireTool(t, "promtool", "prometheus");
  if (promtool) {
    const check = spawnSync(promtool, ["check", "metrics"], { input: metrics, encoding: "utf8" });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
  }

  // Rate limiting: after 5 bad tokens from this address even the right one gets 429.
  for (let i = 0; i < 5; i++) assert.equal((await post(`${url}/api/camera/test`, `bad-token-${i}`)).status, 401);
  const limited = await post(`${url}/api/camera/test`, TOKEN);
  assert.equal(limited.status, 429);
  assert.ok(Number(limited.headers.get("retry-after")) > 0);
  assert.deepEqual(
    refused(root).map((l) => [l.result, l.count]),
    [
      ["unauthorized", 1],
      ["rate_limited", 1],
    ],
    "the rate-limited call starts its own burst",
  );
  assert.equal(await refusedTotal(url), 8, "bad tokens and the rate-limited call are all counted");
  await h.stop();
  assert.deepEqual(
    refused(root).map((l) => [l.result, l.count]),
    [
      ["unauthorized", 1],
      ["rate_limited", 1],
      ["unauthorized", 6],
    ],
    "at stop, the open burst is written with its count",
  );
});

test("control is disabled (403) until a token is configured; a camera test without its picture fails", {
  timeout: 60_000,
}, async (t) => {
  const root = tempDir(t, "ew-ctl-");
  const h = await startRecovery(t, config(root, undefined));
  const r = await post(`${h.agent.url}/api/camera/test`, TOKEN);
  assert.equal(r.status, 403);
  assert.match(String(r.body.error), /control is disabled: set http.token/);
  assert.deepEqual(
    refused(root).map((l) => [l.result, l.status]),
    [["control_disabled", 403]],
  );
  await h.stop();

  const root2 = tempDir(t, "ew-ctl-");
  const cfg = config(root2, TOKEN);
  cfg.recovery.camera_test.argv = ["sh", "-c", "exit 0"];
  const h2 = await startRecovery(t, cfg);
  const noPicture = await post(`${h2.agent.url}/api/camera/test`, TOKEN);
  assert.equal(noPicture.status, 502);
  assert.match(String(noPicture.body.error), /expected the command to write .*test\.jpg; it did not/);
  assert.equal(granted(root2)[0]?.result, "failed");
});

test("an unusable state dir: control still works, automatic reboots are off (fail safe), the agent stays up", {
  timeout: 60_000,
}, async (t) => {
  const root = tempDir(t, "ew-ctl-");
  writeFileSync(join(root, "not-a-dir"), "");
  const cfg = config(root, TOKEN);
  cfg.state_dir = join(root, "not-a-dir", "state");
  const h = await startRecovery(t, cfg);
  const ok = await post(`${h.agent.url}/api/camera/test`, TOKEN);
  assert.equal(ok.status, 200);
  const state = (await (await fetch(`${h.agent.url}/api/recovery`)).json()) as {
    reboot_guard: { allowed: boolean; problem: string };
    audit: { action: string }[];
  };
  assert.equal(state.reboot_guard.allowed, false);
  assert.match(state.reboot_guard.problem, /cannot create .*not-a-dir\/state\/recovery .*automatic reboots are off/);
  assert.equal(state.audit[0]?.action, "camera_test", "the audit line is kept in memory at least");
  assert.ok(h.warnings.some((w) => /cannot (open|append to)/.test(w)));
});

test("a flood of refused requests never rotates an authorised action out of the audit trail", {
  timeout: 300_000,
}, async (t) => {
  const root = tempDir(t, "ew-ctl-");
  const h = await startRecovery(t, config(root, TOKEN));
  const url = h.agent.url;
  assert.equal((await post(`${url}/api/camera/test`, TOKEN)).status, 200);
  const N = 3000;
  for (let i = 0; i < N; i += 50) {
    const batch = Array.from({ length: 50 }, (_, j) =>
      post(`${url}/api/${j % 2 ? "camera/test" : "system/reboot"}`).then((r) => r.status),
    );
    for (const s of await Promise.all(batch)) assert.equal(s, 401);
  }
  const state = (await (await fetch(`${url}/api/recovery?lines=100`)).json()) as {
    audit: AuditEntry[];
    refused: { total: number; log: { count: number }[] };
  };
  assert.deepEqual(
    state.audit.map((a) => [a.action, a.result]),
    [["camera_test", "ok"]],
    "the authorised action is still in /api/recovery",
  );
  assert.equal(state.refused.total, N);
  assert.ok(state.refused.log.length <= 4, `refusals aggregated: ${state.refused.log.length} lines`);
  await h.stop();
  assert.deepEqual(
    granted(root).map((a) => a.result),
    ["ok"],
  );
  const lines = refused(root);
  assert.equal(
    lines.reduce((n, l) => n + l.count, 0),
    N,
    "every refusal is counted in the refusals log",
  );
  // and after a restart it is still what /api/recovery shows
  const again = await startRecovery(t, config(root, TOKEN));
  const after = (await (await fetch(`${again.agent.url}/api/recovery`)).json()) as { audit: AuditEntry[] };
  assert.deepEqual(
    after.audit.map((a) => a.result),
    ["ok"],
  );
});
