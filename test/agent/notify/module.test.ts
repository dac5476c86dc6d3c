import assert from "node:assert/strict";
import { test } from "node:test";
import { validateConfig } from "../../../src/agent/config.ts";
import { AlertsModule } from "../../../src/agent/notify/module.ts";
import { RulesModule } from "../../../src/agent/rules/module.ts";
import { DeviceState } from "../../../src/agent/state.ts";
import { ManualClock } from "../../../src/lib/clock.ts";
import { StatusReader } from "../../../src/protocol/reader.ts";
import { tempDir, waitFor as waitForBase } from "../../helpers/tools.ts";
import { webhookServer } from "./contracts.ts";

/** Generous deadlines: the machine may be heavily loaded; nothing here asserts on elapsed time. */
const waitFor = <T>(what: string, check: () => T | Promise<T>, ms = 0) =>
  waitForBase(what, check, Math.max(ms, 120_000));

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function startModule(t: import("node:test").TestContext, notify: Record<string, unknown>, clock: ManualClock) {
  const dir = tempDir(t);
  const config = validateConfig(
    {
      device: { id: "Pi0Cam", site: "cabin" },
      status_dir: `${dir}/status`,
      state_dir: `${dir}/state`,
      notify: { timeout: "60s", ...notify },
    },
    "test",
    {},
  );
  const state = new DeviceState();
  const reader = new StatusReader({ dir: config.status_dir, onEvent: () => {}, onWarning: () => {} });
  const m = new AlertsModule(config, clock);
  const rules = new RulesModule(config, clock);
  await m.start({ config, state, reader, log: quiet });
  await rules.start({ config, state, reader, log: quiet });
  clock.settle = () => rules.engine.idle();
  t.after(() => {
    rules.stop();
    m.stop();
  });
  return { m, state };
}

test("daily summary at the configured local time, in seed 000's format, even below the global min_level", async (t) => {
  const hook = await webhookServer(t);
  const start = new Date(2026, 1, 8, 22, 0, 0).getTime(); // 22:00 local
  const clock = new ManualClock(start);
  const { state } = await startModule(
    t,
    { daily_summary: { enabled: true, time: "23:00" }, channels: [{ type: "webhook", url: `${hook.url}/hook` }] },
    clock,
  );
  await state.setDocument({
    today: { photos_captured: 750, expected_photos: 750 },
    last_video: { duration_seconds: 32, backed_up: true, youtube_url: "https://youtu.be/abc123" },
    disk_percent: 68.4,
    disk_free_bytes: 5_100_000_000,
  });
  await state.publishEvent({
    time: new Date(start).toISOString(),
    level: "error",
    source: "manager",
    message: "backup failed",
  });
  await waitFor("the error event's own alert", () => hook.accepted.length === 1);
  const summaries = () => hook.accepted.filter((r) => r.json.kind === "daily_summary");
  await clock.advance(59 * 60_000);
  assert.equal(summaries().length, 0, "nothing before 23:00");
  await clock.advance(2 * 60_000);
  await waitFor("daily summary", () => summaries().length === 1);
  const b = summaries()[0]?.json;
  assert.equal(b.kind, "daily_summary");
  assert.equal(b.level, "INFO");
  assert.equal(
    b.message,
    [
      "Pi0Cam Daily Summary - 2026-02-08",
      "",
      "Photos: 750 captured of 750 expected",
      "Video: 32 seconds",
      "Disk: 68% used (5.1GB free)",
      "Backup: Complete",
      "YouTube: Uploaded",
      "",
      "1 error today:",
      "- manager: backup failed",
    ].join("\n"),
  );
  await clock.advance(24 * 60 * 60_000);
  await waitFor("next day's summary", () => summaries().length === 2);
  assert.match(summaries()[1]?.json.message, /Daily Summary - 2026-02-09[\s\S]*No errors today\./);
});

test("alerts other modules publish (the recovery ladder) are notified once per state", async (t) => {
  const hook = await webhookServer(t);
  const clock = new ManualClock(Date.now());
  const { state, m } = await startModule(t, { channels: [{ type: "webhook", url: `${hook.url}/hook` }] }, clock);
  const since = new Date().toISOString();
  const a = {
    id: "recovery:timelapse",
    rule: "recovery",
    severity: "critical" as const,
    summary: "timelapse restarted 3 times",
    since,
  };
  await state.setAlert({ ...a, state: "firing" });
  await state.setAlert({ ...a, state: "firing" });
  await waitFor("firing", () => hook.accepted.length === 1);
  await state.setAlert({ ...a, state: "resolved", summary: "timelapse healthy again" });
  await waitFor("resolved", () => hook.accepted.length === 2 && m.outbox.drained);
  assert.deepEqual(
    hook.accepted.map((r) => r.json.message),
    ["CRITICAL: timelapse restarted 3 times", "RESOLVED: timelapse healthy again"],
  );
  const fam = m.metrics().find((f) => f.name === "edgewatch_notifications_total");
  const byResult = Object.fromEntries((fam?.samples ?? []).map((s) => [s.labels?.result, s.value]));
  assert.equal(byResult.sent, 2);
  assert.equal(byResult.deduped, 1, "the repeated firing was recognised, not sent");
});

test("levels: global min_level first, then each channel's own", async (t) => {
  const all = await webhookServer(t);
  const pager = await webhookServer(t);
  const clock = new ManualClock(Date.now());
  const { m } = await startModule(
    t,
    {
      min_level: "error",
      channels: [
        { type: "webhook", name: "all", url: `${all.url}/hook` },
        { type: "webhook", name: "pager", url: `${pager.url}/hook`, min_level: "critical" },
      ],
    },
    clock,
  );
  const send = (level: "warning" | "error" | "critical") =>
    m.notifier.send({ kind: "event", level, title: level, message: level, dedupe_key: level });
  await send("warning");
  await send("error");
  await send("critical");
  await waitFor("deliveries", () => all.accepted.length === 2 && pager.accepted.length === 1 && m.outbox.drained);
  assert.deepEqual(
    all.accepted.map((r) => r.json.level),
    ["ERROR", "CRITICAL"],
  );
  assert.deepEqual(
    pager.accepted.map((r) => r.json.level),
    ["CRITICAL"],
  );
});
