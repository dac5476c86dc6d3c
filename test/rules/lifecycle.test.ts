import assert from "node:assert/strict";
import { test } from "node:test";
import { Flapping } from "../../src/rules/flapping.ts";
import { type Batch, Lifecycle } from "../../src/rules/lifecycle.ts";
import { Silences } from "../../src/rules/silences.ts";
import type { Condition, Rule } from "../../src/rules/types.ts";

const rule = (forMs: number, clearForMs: number): Rule<never> => ({ name: "temp", forMs, clearForMs });
const batch = (): Batch => ({ origin: "state", notices: [], views: [] });
const on = (severity: "warning" | "critical", summary = `hot (${severity})`): Condition => ({
  key: "",
  severity,
  summary,
});
const off: Condition = { key: "", severity: null, summary: "cool again" };

function setup(o: { forMs?: number; clearForMs?: number; repeatMs?: number } = {}) {
  const r = rule(o.forMs ?? 60_000, o.clearForMs ?? 30_000);
  const life = new Lifecycle(
    new Map([[r.name, r]]),
    new Flapping({ enabled: false, windowMs: 0 }),
    new Silences([], () => "ok"),
    { repeatMs: o.repeatMs ?? 0 },
  );
  /** Apply a condition at `now`, then deadlines and notifications, as one engine run does. */
  const run = (c: Condition | null, now: number) => {
    const b = batch();
    if (c) life.apply(r, c, now, b);
    life.deadlines(now, b);
    life.notifyUnnotified(now, b);
    return { notices: b.notices.map((n) => `${n.kind}:${n.text}`), views: b.views.map((v) => v.state) };
  };
  return { life, run };
}

test("pending until `for` has passed, then firing once; resolved only after `clear_for` of clear conditions", () => {
  const { life, run } = setup();
  assert.deepEqual(run(on("warning"), 0), { notices: [], views: [] }, "pending: nothing published");
  assert.equal(life.instances.get("temp")?.state, "pending");
  assert.deepEqual(run(on("warning"), 59_999), { notices: [], views: [] });
  assert.deepEqual(run(on("warning"), 60_000), { notices: ["firing:WARNING: hot (warning)"], views: ["firing"] });
  assert.deepEqual(run(off, 70_000), { notices: [], views: [] }, "clear, but not for clear_for yet");
  assert.deepEqual(run(null, 99_999), { notices: [], views: [] });
  assert.deepEqual(run(null, 100_000), { notices: ["resolved:RESOLVED: cool again"], views: ["resolved"] });
  assert.equal(life.instances.size, 0);
  assert.deepEqual(
    life.history.map((h) => h.state),
    ["firing", "resolved"],
  );
});

test("a pending alert that clears is dropped without a notice; a raised severity is told once as escalated", () => {
  const { life, run } = setup({ forMs: 10_000, clearForMs: 0 });
  run(on("warning"), 0);
  assert.deepEqual(run(off, 5_000), { notices: [], views: ["resolved"] });
  assert.equal(life.instances.size, 0);
  run(on("warning"), 10_000);
  run(on("warning"), 20_000);
  assert.deepEqual(run(on("critical", "very hot"), 30_000).notices, ["escalated:CRITICAL: very hot"]);
  assert.deepEqual(run(on("critical", "very hot"), 40_000).notices, [], "told once");
});

test("repeats: a still-firing alert notifies again every repeat interval, each with its own dedupe key", () => {
  const { life, run } = setup({ forMs: 0, repeatMs: 3_600_000 });
  run(on("warning"), 0);
  const keys: string[] = [];
  for (const t of [3_600_000, 7_200_000]) {
    const b: Batch = { origin: "state", notices: [], views: [] };
    life.deadlines(t, b);
    assert.deepEqual(
      b.notices.map((n) => n.kind),
      ["repeat"],
    );
    assert.match(b.notices[0]?.text ?? "", /^STILL FIRING: hot \(warning\) \(since 1970-01-01T00:00:00.000Z\)$/);
    keys.push(b.notices[0]?.dedupeKey ?? "");
  }
  assert.equal(new Set(keys).size, 2);
  assert.deepEqual(life.edges(), [10_800_000], "the next repeat is the only deadline");
});

test("an event-born alert expires at its expiresAt unless refreshed", () => {
  const { life, run } = setup({ forMs: 0 });
  run({ ...on("warning"), expiresAt: 1000 }, 0);
  run({ ...on("warning"), expiresAt: 2000 }, 500);
  assert.deepEqual(run(null, 1500), { notices: [], views: [] }, "refreshed: still firing");
  assert.deepEqual(run(null, 2000), {
    notices: ["resolved:RESOLVED: hot (warning) (no repeat for a while)"],
    views: ["resolved"],
  });
  assert.equal(life.instances.size, 0);
});
