import assert from "node:assert/strict";
import { test } from "node:test";
import { Silences, validSilences } from "../../src/rules/silences.ts";

test("silences match by rule and source, only while active: time range, device status, daily window", () => {
  let status = "ok";
  const s = new Silences(
    [
      { rules: ["cpu"], while_status: ["creating_video"] },
      { sources: ["timelapse"], daily: "22:00-06:00" },
    ],
    () => status,
  );
  const noon = new Date(2026, 1, 8, 12, 0).getTime();
  const night = new Date(2026, 1, 8, 23, 0).getTime();
  assert.equal(s.matches({ rule: "cpu" }, noon), false, "cpu: only while creating_video");
  status = "creating_video";
  assert.equal(s.matches({ rule: "cpu" }, noon), true);
  assert.equal(s.matches({ rule: "memory" }, noon), false);
  assert.equal(s.matches({ rule: "heartbeat_stale", source: "timelapse" }, noon), false, "outside the window");
  assert.equal(s.matches({ rule: "heartbeat_stale", source: "timelapse" }, night), true);
  assert.equal(s.matches({ rule: "heartbeat_stale" }, night), false, "a sources silence needs a source");

  const api = s.add({ rules: ["memory"], starts_at: noon, ends_at: noon + 3_600_000 });
  assert.equal(api.origin, "api");
  assert.equal(s.matches({ rule: "memory" }, noon + 1000), true);
  assert.equal(s.matches({ rule: "memory" }, noon - 1000), false, "not started yet");
  assert.deepEqual(
    s.list(noon).map((x) => [x.id, x.active]),
    [
      ["config-0", true],
      ["config-1", false],
      [api.id, true],
    ],
  );
  assert.ok(s.edges(noon, true).includes(noon + 3_600_000), "its end is a deadline");
  assert.ok(s.edges(noon, true).includes(new Date(2026, 1, 8, 22, 0).getTime()), "so is the window's next edge");
  assert.deepEqual(s.edges(noon, false), [noon + 3_600_000], "starts matter only while an alert is active");
  assert.equal(s.expire(noon + 3_599_999), false);
  assert.equal(s.expire(noon + 3_600_000), true, "expired API silences are dropped");
  assert.equal(s.remove(api.id), false);
  assert.equal(s.config.length, 2, "config silences never expire");
});

test("silences read back from a file: invalid ones are dropped with a warning naming them, the rest kept", () => {
  const warnings: string[] = [];
  const log = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} };
  const kept = validSilences(
    [
      { id: "a", origin: "api", rules: ["cpu"], ends_at: 5 },
      { id: "b", origin: "api", ends_at: "tomorrow" },
      { id: "c", origin: "api", daily: "late" },
      null,
    ],
    "state.json",
    log,
  );
  assert.deepEqual(
    kept.map((s) => s.id),
    ["a"],
  );
  assert.equal(warnings.length, 3);
  assert.match(
    warnings[0] ?? "",
    /alert state state\.json: silence 1 is not valid \(.*tomorrow.*\); dropped, the rest kept/,
  );
  assert.deepEqual(validSilences("x", "f", log), []);
  assert.match(warnings.at(-1) ?? "", /silences: expected a list, got string; dropped/);
});
