import assert from "node:assert/strict";
import { test } from "node:test";
import { emitEvent } from "../../../src/protocol/events.ts";
import { updateStatus } from "../../../src/protocol/fragment.ts";
import { waitFor as waitForBase } from "../../helpers/tools.ts";
import { get, startTestAgent } from "../core/helpers.ts";
import { webhookServer } from "../notify/contracts.ts";

/** Generous deadlines: the machine may be heavily loaded; nothing here asserts on elapsed time. */
const waitFor = <T>(what: string, check: () => T | Promise<T>) => waitForBase(what, check, 120_000);

// biome-ignore lint/suspicious/noExplicitAny: JSON answers from the agent, inspected field by field
type Json = any;

test("real agent: capture errors notify at the third in a row, an upload warning notifies at warning at once", async (t) => {
  const hook = await webhookServer(t);
  const a = await startTestAgent(t, {
    notify: { channels: [{ type: "webhook", url: `${hook.url}/hook` }] },
  });
  const w = { dir: a.statusDir };
  const capErr = () =>
    emitEvent("timelapse", { level: "error", message: "capture failed: camera timeout", code: "CAP-001" }, w);

  await capErr();
  await capErr();
  await waitFor("both capture errors recorded and counted", async () => {
    const cam = (await get(`${a.url}/api/camera/status`)).json<Json>();
    return JSON.stringify(cam).includes('"consecutive_failures":2');
  });
  // A warning from the uploader passes through the same path after them: once it is delivered, the
  // two capture errors had their chance to notify and did not.
  await emitEvent("manager", { level: "warning", message: "YouTube upload failed: quota exceeded", code: "YT-001" }, w);
  await waitFor("the upload warning delivered", () => hook.accepted.length >= 1);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(hook.accepted.length, 1, hook.accepted.map((r) => r.json.message).join(" | "));
  const warn = hook.accepted[0]?.json;
  assert.equal(warn.level, "WARNING");
  assert.equal(warn.message, "WARNING: manager: YouTube upload failed: quota exceeded");
  const doc = (await get(`${a.url}/status`)).json<Json>();
  assert.equal(
    doc.errors.filter((e: Json) => e.code === "CAP-001").length,
    2,
    "each capture error is recorded in /status errors",
  );

  await capErr();
  await waitFor("the capture alert delivered", () => hook.accepted.length >= 2);
  const cap = hook.accepted[1]?.json;
  assert.equal(cap.level, "ERROR");
  assert.equal(cap.alert.id, "events:timelapse:capture");
  assert.match(cap.message, /timelapse: 3 capture errors in a row, latest: capture failed: camera timeout/);

  await updateStatus("timelapse", { last_capture: { time: new Date().toISOString(), success: true } }, w);
  await waitFor("resolved once a photo is taken", () => hook.accepted.length >= 3);
  assert.equal(hook.accepted[2]?.json.alert.notice, "resolved");
  assert.equal(hook.accepted[2]?.json.message, "RESOLVED: timelapse: captures working again");
});
