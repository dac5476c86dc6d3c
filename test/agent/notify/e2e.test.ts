import assert from "node:assert/strict";
import { test } from "node:test";
import { emitEvent } from "../../../src/protocol/events.ts";
import { heartbeat, updateStatus } from "../../../src/protocol/fragment.ts";
import { waitFor as waitForBase } from "../../helpers/tools.ts";
import { get, startTestAgent } from "../core/helpers.ts";
import { webhookServer } from "./contracts.ts";

/** Generous deadlines: the machine may be heavily loaded; nothing here asserts on elapsed time. */
const waitFor = <T>(what: string, check: () => T | Promise<T>, ms = 0) =>
  waitForBase(what, check, Math.max(ms, 120_000));

// biome-ignore lint/suspicious/noExplicitAny: JSON answers from the agent, inspected field by field
type Json = any;

const TOKEN = "test-token-0123456789abcdef";

test("end to end: a writer's error event → exactly one webhook notification; clearing it → exactly one resolved", async (t) => {
  const hook = await webhookServer(t);
  const a = await startTestAgent(t, {
    http: { token: TOKEN },
    notify: { timeout: "60s", channels: [{ type: "webhook", url: `${hook.url}/hook` }] },
  });
  const w = { dir: a.statusDir };
  await emitEvent(
    "timelapse",
    { level: "error", message: "video creation failed: ffmpeg exit 1", code: "VID-001", fields: { attempt: 3 } },
    w,
  );
  await waitFor("firing notification", () => hook.accepted.length === 1, 30_000);
  await emitEvent("timelapse", { level: "error", message: "video creation failed: ffmpeg exit 1", code: "VID-001" }, w);
  await waitFor(
    "second event consumed",
    async () => (await get(`${a.url}/api/alerts`)).json<Json>().history.length >= 1,
  );
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(hook.accepted.length, 1, "the same error again does not notify twice");
  const b = hook.accepted[0]?.json;
  assert.equal(b.message, "WARNING: timelapse: video creation failed: ffmpeg exit 1");
  assert.equal(b.level, "ERROR");
  assert.equal(b.device_id, "pi-test");
  assert.equal(b.site, "lab");
  assert.ok(!Number.isNaN(Date.parse(b.timestamp)));
  assert.equal(b.alert.rule, "events");
  assert.equal(b.alert.notice, "firing");
  assert.equal(b.alert.source, "timelapse");
  assert.equal(b.alert.fields.code, "VID-001");
  assert.deepEqual(b.alert.fields.event_fields, { attempt: 3 });

  const view = (await get(`${a.url}/api/alerts`)).json<Json>();
  assert.equal(view.firing.length, 1);
  assert.equal(view.firing[0].id, "events:timelapse:VID-001");
  assert.equal(view.notifications.pending, 0);

  await emitEvent("timelapse", { level: "info", message: "video created", code: "VID-001" }, w);
  await waitFor("resolved notification", () => hook.accepted.length === 2, 30_000);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(hook.accepted.length, 2);
  const r = hook.accepted[1]?.json;
  assert.equal(r.alert.notice, "resolved");
  assert.equal(r.message, "RESOLVED: timelapse: video created");
  assert.equal(r.level, "ERROR", "resolved goes to the same place as its firing");

  const after = (await get(`${a.url}/api/alerts`)).json<Json>();
  assert.equal(after.firing.length, 0);
  assert.deepEqual(
    after.history.map((h: { state: string }) => h.state),
    ["resolved", "firing"],
  );
  const m = (await get(`${a.url}/metrics`)).body;
  assert.match(m, /^edgewatch_alerts_firing\{[^}]*severity="warning"[^}]*\} 0$/m);
  assert.match(m, /^edgewatch_notifications_total\{[^}]*channel="webhook"[^}]*result="sent"[^}]*\} 2$/m);
  assert.match(m, /^edgewatch_outbox_depth\{[^}]*\} 0$/m);
  assert.match(m, /^edgewatch_outbox_oldest_age_seconds\{[^}]*\} 0$/m);
});

test("POST /api/alerts/silence: token required, bad bodies are 400 saying what was expected, a silence mutes a source", async (t) => {
  const hook = await webhookServer(t);
  const a = await startTestAgent(t, {
    http: { token: TOKEN },
    notify: { timeout: "60s", channels: [{ type: "webhook", url: `${hook.url}/hook` }] },
  });
  const post = (body: unknown, token: string | null = TOKEN) =>
    get(
      `${a.url}/api/alerts/silence`,
      { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      "POST",
      JSON.stringify(body),
    );
  assert.equal((await post({ source: "timelapse", duration: "1h" }, null)).status, 401);
  const cases: [unknown, RegExp][] = [
    [{ rule: "cpuu", duration: "1h" }, /rule: expected one of "?cpu/],
    [{ source: "timelapse" }, /expected "duration" .* or "until"/],
    [{ source: "timelapse", duration: "soon" }, /duration: expected a duration like "30m"/],
    [{ source: "timelapse", until: "2001-01-01T00:00:00Z" }, /until: expected a time in the future/],
    [{ source: "timelapse", duration: "1h", forever: true }, /unknown key forever/],
  ];
  for (const [body, re] of cases) {
    const r = await post(body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(r.json<{ error: string }>().error, re);
  }
  const ok = await post({ source: "timelapse", duration: "1h", comment: "replacing the camera" });
  assert.equal(ok.status, 201);
  const sil = ok.json<Json>().silence;
  assert.deepEqual(sil.sources, ["timelapse"]);
  assert.ok(Date.parse(sil.ends_at) > Date.now() + 59 * 60_000);

  await emitEvent(
    "timelapse",
    { level: "error", message: "video creation failed", code: "VID-001" },
    { dir: a.statusDir },
  );
  await emitEvent("manager", { level: "error", message: "backup failed", code: "BAK-1" }, { dir: a.statusDir });
  await waitFor("manager's notification", () => hook.accepted.length === 1, 30_000);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(hook.accepted.length, 1);
  assert.equal(hook.accepted[0]?.json.alert.source, "manager");
  const v = (await get(`${a.url}/api/alerts`)).json<Json>();
  const muted = v.firing.find((x: { id: string }) => x.id === "events:timelapse:VID-001");
  assert.equal(muted.silenced, true, "a silenced alert still shows in the API");
  assert.ok(v.silences.some((s: { id: string; active: boolean }) => s.id === sil.id && s.active));

  const del = await get(`${a.url}/api/alerts/silence?id=${sil.id}`, { authorization: `Bearer ${TOKEN}` }, "DELETE");
  assert.equal(del.status, 200);
  await waitFor("the silenced alert notifies once its silence is removed", () => hook.accepted.length === 2, 30_000);
  assert.equal(hook.accepted[1]?.json.alert.source, "timelapse");
});

test("heartbeat stale through the real agent: a silent writer fires once, its next heartbeat resolves it", async (t) => {
  const hook = await webhookServer(t);
  const a = await startTestAgent(t, {
    alerts: { rules: { heartbeat_stale: { sources: { recorder: "1s" } } } },
    notify: { timeout: "60s", channels: [{ type: "webhook", url: `${hook.url}/hook` }] },
  });
  await updateStatus("recorder", { status: "capturing" }, { dir: a.statusDir });
  const stale = await waitFor(
    "stale heartbeat notification",
    () => hook.accepted.find((r) => r.json.alert?.rule === "heartbeat_stale"),
    30_000,
  );
  assert.ok(stale);
  assert.equal(stale.json.alert.source, "recorder");
  assert.equal(stale.json.level, "CRITICAL");
  assert.match(stale.json.message, /^CRITICAL: recorder: (no heartbeat for \d+ s|never reported) \(timeout 1 s\)/);
  await heartbeat("recorder", { dir: a.statusDir });
  const back = await waitFor(
    "resolved",
    () => hook.accepted.find((r) => r.json.alert?.rule === "heartbeat_stale" && r.json.alert.notice === "resolved"),
    30_000,
  );
  assert.ok(back);
  assert.match(back.json.message, /^RESOLVED: recorder: heartbeat back/);
});

test("/health/deep reports a channel that keeps failing, and recovers when it delivers", async (t) => {
  const hook = await webhookServer(t);
  await hook.down();
  const a = await startTestAgent(t, {
    notify: {
      timeout: "60s",
      channels: [{ type: "webhook", url: `${hook.url}/hook` }],
      outbox: { backoff_initial: "50ms", backoff_max: "200ms" },
    },
  });
  await emitEvent("timelapse", { level: "critical", message: "camera gone", code: "CAP-9" }, { dir: a.statusDir });
  const bad = await waitFor(
    "deep health failing",
    async () => {
      const r = await get(`${a.url}/health/deep`);
      return r.status === 503 && r.json<Json>().checks.alerts?.ok === false ? r.json<Json>() : null;
    },
    30_000,
  );
  assert.match(bad.checks.alerts.detail, /outbox not draining: webhook \(1 pending, cannot reach .*ECONNREFUSED\)/);
  const m = (await get(`${a.url}/metrics`)).body;
  assert.match(m, /^edgewatch_outbox_depth\{[^}]*\} 1$/m);
  assert.match(m, /^edgewatch_notifications_total\{[^}]*channel="webhook"[^}]*result="retry"[^}]*\} \d+$/m);
  await hook.up();
  await waitFor("delivered", () => hook.accepted.length === 1, 30_000);
  await waitFor(
    "deep health ok again",
    async () => (await get(`${a.url}/health/deep`)).json<Json>().checks.alerts?.ok === true,
  );
});
