// The control relay end to end: a real agent enrolled to a real hub runs a queued command on its next
// push; the hub's and the agent's audit logs both have it; refusals (no token, no confirm, an unnamed
// unit, a device that turned commands off) are clear and run nothing.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { AuditEntry, CommandView } from "../../src/hub/api-types.ts";
import { tempDir } from "../helpers/tools.ts";
import { admin, agentConfig, api, hubConfig, startAgent, startHub, waitFor } from "./helpers.ts";

const recovery = (root: string) => `recovery:
  sd_notify: false
  reboot_delay: 0.1s
  reboot: { type: command, argv: ["sh", "-c", 'echo reboot >> "$0"', "${join(root, "marks")}"], timeout: 10s }
  camera_test: { type: camera, argv: ["sh", "-c", 'printf "\\\\377\\\\330jpeg" > "$0"; echo frame written', "${join(root, "test.jpg")}"], expect_file: "${join(root, "test.jpg")}", timeout: 10s }
  watches:
    - name: app
      process: node
      check_every: 1h
      restart: { type: command, argv: ["sh", "-c", 'echo restarted >> "$0"', "${join(root, "marks")}"], timeout: 10s }
`;

const lines = (f: string) =>
  existsSync(f)
    ? readFileSync(f, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

test("a queued command runs on the agent's next push; both audit logs have it; refusals run nothing", {
  timeout: 240_000,
}, async (t) => {
  const dir = tempDir(t, "ew-commands-");
  const hub = await startHub(t, hubConfig(join(dir, "hub")));
  const cam = join(dir, "cam-1");
  agentConfig(cam, "cam-1", "gym", hub.url, recovery(cam));
  await startAgent(t, cam, "cam-1");
  const off = join(dir, "cam-2");
  agentConfig(off, "cam-2", "gym", hub.url, recovery(off));
  // the second device refuses remote commands
  const file0 = join(off, "agent.yaml");
  writeFileSync(
    file0,
    readFileSync(file0, "utf8").replace(", interval: 1s }\n", ", interval: 1s, commands: false }\n"),
  );
  assert.match(readFileSync(file0, "utf8"), /commands: false/);
  await startAgent(t, off, "cam-2");
  await waitFor("both enrolled", async () => (await api<unknown[]>(`${hub.url}/api/v1/devices`)).body.length === 2);

  const send = (id: string, body: unknown, headers: Record<string, string> = admin) =>
    api<CommandView & { error?: string }>(`${hub.url}/api/v1/devices/${id}/commands`, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  // refused before anything is queued
  assert.equal((await send("cam-1", { action: "test_camera" }, {})).status, 401, "no admin token");
  assert.equal((await send("cam-1", { action: "test_camera" }, { Authorization: "Bearer wrong" })).status, 401);
  const noConfirm = await send("cam-1", { action: "reboot" });
  assert.equal(noConfirm.status, 400);
  assert.match(noConfirm.body.error ?? "", /reboot needs "args": \{"confirm": true\}/);
  const unknown = await send("cam-1", { action: "rm_rf" });
  assert.equal(unknown.status, 400);
  assert.match(unknown.body.error ?? "", /expected one of test_camera, restart_service, reboot, got "rm_rf"/);
  assert.equal((await send("nope", { action: "test_camera" })).status, 404);

  const queued = await send("cam-1", { action: "test_camera" });
  assert.equal(queued.status, 202, queued.text);
  assert.equal(queued.body.state, "queued");
  const restart = await send("cam-1", { action: "restart_service", args: { unit: "app" } });
  const arbitrary = await send("cam-1", { action: "restart_service", args: { unit: "ssh.service" } });
  const refused = await send("cam-2", { action: "test_camera" });
  const finished = async (id: string, dev = "cam-1") =>
    waitFor(`command ${id} finished`, async () => {
      const r = await api<CommandView[]>(`${hub.url}/api/v1/devices/${dev}/commands`);
      const c = r.body.find((x) => x.id === id);
      return c && (c.state === "done" || c.state === "failed") ? c : null;
    });
  const camTest = (await finished(queued.body.id)) as CommandView;
  assert.equal(camTest.state, "done", camTest.output ?? "");
  assert.match(camTest.output ?? "", /frame written/);
  assert.ok(camTest.sent_at && camTest.finished_at, "sent in a push answer, finished by the next push");
  assert.ok(existsSync(join(cam, "test.jpg")), "the agent really ran its configured camera test");

  const r1 = (await finished(restart.body.id)) as CommandView;
  assert.equal(r1.state, "done", r1.output ?? "");
  assert.match(readFileSync(join(cam, "marks"), "utf8"), /restarted/, "the watch's own restart action ran");
  const r2 = (await finished(arbitrary.body.id)) as CommandView;
  assert.equal(r2.state, "failed");
  assert.match(r2.output ?? "", /"ssh\.service" is not a unit or watch this device's config names \(allowed: app\)/);
  const r3 = (await finished(refused.body.id, "cam-2")) as CommandView;
  assert.equal(r3.state, "failed");
  assert.match(r3.output ?? "", /refused: remote commands are turned off on this device \(hub\.commands: false\)/);
  assert.equal(existsSync(join(off, "test.jpg")), false, "the refusing device ran nothing");

  // a confirmed reboot goes through the agent's guarded reboot (its reboot action here only leaves a mark)
  const reboot = await send("cam-1", { action: "reboot", args: { confirm: true } });
  assert.equal(reboot.status, 202, reboot.text);
  const r4 = (await finished(reboot.body.id)) as CommandView;
  assert.equal(r4.state, "done", r4.output ?? "");
  assert.match(readFileSync(join(cam, "marks"), "utf8"), /reboot/);
  const steps = lines(join(cam, "state", "recovery", "recovery.log")).map((l) => `${l.watch}:${l.step}`);
  assert.ok(steps.includes("hub:reboot"), `the reboot guard counted it: ${steps.join(", ")}`);

  // the agent's audit log (the recovery module's) has every command and its result
  const agentAudit = lines(join(cam, "state", "recovery", "audit.log"));
  const camLine = agentAudit.find((l) => l.action === "hub_test_camera");
  assert.equal(camLine?.result, "ok");
  assert.match(String(camLine?.client), new RegExp(`hub \\(command ${queued.body.id}\\)`));
  assert.equal(agentAudit.find((l) => l.action === "hub_restart_service" && l.result === "failed")?.status, 502);
  assert.equal(lines(join(off, "state", "recovery", "audit.log"))[0]?.result, "failed", "a refusal is audited too");

  // the agent's recovery log entries reach the hub as the device's events (source "recovery")
  const events = (await waitFor("the recovery log's lines among cam-1's events", async () => {
    const r = await api<{ source: string; message: string }[]>(`${hub.url}/api/v1/devices/cam-1/events?limit=500`);
    const rec = r.body.filter((e) => e.source === "recovery");
    return rec.some((e) => /control: test_camera: requested through the hub: ok/.test(e.message)) ? rec : null;
  })) as { source: string; message: string }[];
  assert.ok(
    events.some((e) => /^hub: reboot: /.test(e.message)),
    events.map((e) => e.message).join("\n"),
  );

  // the hub's audit: the admin's request and the device's result, in the API and in audit.log
  assert.equal((await api(`${hub.url}/api/v1/audit`)).status, 401, "the audit needs the admin token");
  const audit = await api<AuditEntry[]>(`${hub.url}/api/v1/audit?limit=50`, { headers: admin });
  assert.equal(audit.status, 200, audit.text);
  const asked = audit.body.filter((e) => e.action === "POST /api/v1/devices" && e.target.endsWith("/commands"));
  assert.equal(asked.length, 5, "the five accepted requests (refused ones queue nothing and are not writes)");
  assert.match(asked.at(-1)?.actor ?? "", /^admin@/);
  const result = audit.body.find((e) => e.action === "command.result" && e.detail.id === queued.body.id);
  assert.equal(result?.actor, "device:cam-1");
  assert.equal(result?.detail.ok, true);
  const file = lines(join(dir, "hub", "state", "audit.log"));
  assert.ok(file.some((e) => e.action === "command.result" && (e.detail as { id: string }).id === queued.body.id));
});
