import assert from "node:assert/strict";
import { test } from "node:test";
import { DeviceState } from "../../../src/agent/state.ts";
import type { DeviceEvent } from "../../../src/protocol/events.ts";

const ev: DeviceEvent = { time: "2026-11-25T10:00:00.000Z", level: "error", source: "cam", message: "capture failed" };

test("a retried event reaches only the subscribers that did not take it the first time", async () => {
  const state = new DeviceState();
  const seen: string[] = [];
  let outboxFull = true;
  state.on("event", (e) => {
    seen.push(`errors:${e.message}`);
  });
  state.on("event", (e) => {
    if (outboxFull) throw new Error("ENOSPC");
    seen.push(`outbox:${e.message}`);
  });
  await assert.rejects(state.publishEvent(ev), /ENOSPC/);
  assert.deepEqual(seen, ["errors:capture failed"]);
  await assert.rejects(state.publishEvent({ ...ev }), /ENOSPC/, "still failing: still refused");
  outboxFull = false;
  await state.publishEvent({ ...ev });
  assert.deepEqual(seen, ["errors:capture failed", "outbox:capture failed"], "each subscriber got it once");
  // Once fully delivered, the same event published again is a new delivery (e.g. a second identical event).
  await state.publishEvent({ ...ev });
  assert.equal(seen.length, 4);
});

test("a throwing status subscriber does not stop the others, and the error reaches the publisher", async () => {
  const state = new DeviceState();
  const got: number[] = [];
  state.on("status", () => {
    throw new Error("boom");
  });
  state.on("status", (d) => {
    got.push(d.n as number);
  });
  await assert.rejects(state.setDocument({ n: 1 }), /boom/);
  assert.deepEqual(got, [1]);
  assert.equal(state.document.n, 1);
});
