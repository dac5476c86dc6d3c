import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../../src/lib/clock.ts";
import { RuleEngine } from "../../src/rules/engine.ts";
import type { AlertChange, Rule } from "../../src/rules/types.ts";

/** Any program's input: here a plain list of devices and when each was last seen (as a hub would have). */
type Fleet = { lastSeen: Map<string, number>; now: number };

const downRule: Rule<Fleet> = {
  name: "device_down",
  forMs: 0,
  clearForMs: 0,
  evaluate: (f) => {
    const up = [...f.lastSeen.values()].filter((at) => f.now - at <= 60_000);
    return {
      conditions: [...f.lastSeen].map(([d, at]) =>
        f.now - at > 60_000
          ? { key: d, severity: "critical" as const, summary: `${d} silent`, source: d }
          : { key: d, severity: null, summary: `${d} back` },
      ),
      // the next device to turn silent (deadline-driven, as the agent's heartbeat rule is)
      ...(up.length ? { wakeAt: Math.min(...up) + 60_001 } : {}),
    };
  },
  onEvent: (ev) =>
    ev.level === "critical" ? [{ key: ev.source, severity: "critical", summary: ev.message, expiresAt: 0 }] : [],
};

function setup(publish?: (c: AlertChange) => Promise<void>) {
  const clock = new ManualClock(1_000_000);
  const lastSeen = new Map([["cam1", clock.now()]]);
  const changes: AlertChange[] = [];
  const engine = new RuleEngine<Fleet>({
    rules: [downRule],
    input: () => ({ lastSeen, now: clock.now() }),
    publish:
      publish ??
      (async (c) => {
        changes.push(c);
      }),
    log: { debug() {}, info() {}, warn() {}, error() {} },
    clock,
    silences: [{ sources: ["cam2"] }],
  });
  clock.settle = () => engine.idle();
  const seen = () => changes.map((c) => `${c.alert.id}:${c.alert.state}:${c.notice?.kind ?? "-"}:${c.remove}`);
  return { clock, lastSeen, engine, changes, seen };
}

test("the shared engine runs over any input: its one deadline timer fires and resolves, each change published once with its notice", async (t) => {
  const s = setup();
  t.after(() => s.engine.stop());
  await s.engine.start();
  assert.deepEqual(s.seen(), []);
  await s.clock.advance(60_001);
  assert.deepEqual(s.seen(), ["device_down:cam1:firing:firing:false"], "fired by the deadline, no polling");
  assert.equal(s.changes[0]?.notice?.text, "CRITICAL: cam1 silent");
  s.lastSeen.set("cam1", s.clock.now());
  await s.engine.evaluate();
  assert.deepEqual(s.seen().slice(1), ["device_down:cam1:resolved:resolved:true"]);
  assert.equal(s.changes[1]?.notice?.text, "RESOLVED: cam1 back");
});

test("a silenced alert is published without a notice; an event-born change that cannot be published is thrown back and undone", async (t) => {
  const s = setup();
  t.after(() => s.engine.stop());
  s.lastSeen.set("cam2", s.clock.now() - 120_000);
  await s.engine.start();
  assert.deepEqual(s.seen(), ["device_down:cam2:firing:-:false"], "silenced: in state, not notified");
  assert.equal(s.changes[0]?.alert.silenced, true);

  let fail = true;
  const published: string[] = [];
  const f = setup(async (c) => {
    if (fail && c.notice) throw new Error("disk full");
    published.push(`${c.alert.id}:${c.notice?.kind}`);
  });
  t.after(() => f.engine.stop());
  await f.engine.start();
  const ev = { time: new Date(f.clock.now()).toISOString(), level: "critical" as const, source: "cam9", message: "x" };
  await assert.rejects(f.engine.onEvent(ev), /disk full/);
  assert.equal(f.engine.view().firing.length, 0, "undone: the event will be retried");
  fail = false;
  await f.engine.onEvent(ev);
  assert.deepEqual(published, ["device_down:cam9:firing"], "the retry notifies once");
});
