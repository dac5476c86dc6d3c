import assert from "node:assert/strict";
import { test } from "node:test";
import { Flapping } from "../../src/rules/flapping.ts";

test("flapping: a second firing within the window starts an episode; each further one extends it; it ends a window after the last", () => {
  const f = new Flapping({ enabled: true, windowMs: 600_000 });
  assert.equal(f.fired("cpu", 0, false), null, "one firing is not flapping");
  assert.equal(f.fired("cpu", 700_000, false), null, "the first left the window");
  assert.equal(f.fired("cpu", 800_000, false), "started");
  assert.equal(f.has("cpu"), true);
  assert.equal(f.fired("cpu", 900_000, false), "extended");
  assert.deepEqual(f.edges(), [1_500_000]);
  assert.deepEqual(f.ended(1_499_999), []);
  assert.deepEqual(f.ended(1_500_000), [["cpu", { since: 800_000, until: 1_500_000, notified: true }]]);
  assert.equal(f.has("cpu"), false);
});

test("flapping: a silenced start is remembered as not notified; disabled never flaps; a clock step moves every time", () => {
  const f = new Flapping({ enabled: true, windowMs: 1000 });
  f.fired("a", 0, true);
  assert.equal(f.fired("a", 10, true), "started");
  assert.equal(f.episodes.get("a")?.notified, false);
  f.shift(5000);
  assert.deepEqual(f.episodes.get("a"), { since: 5010, until: 6010, notified: false });
  assert.deepEqual(f.fireTimes.get("a"), [5000, 5010]);

  const off = new Flapping({ enabled: false, windowMs: 1000 });
  for (let t = 0; t < 5; t++) assert.equal(off.fired("a", t, false), null);
  assert.equal(new Flapping(undefined).fired("a", 0, false), null);
});
