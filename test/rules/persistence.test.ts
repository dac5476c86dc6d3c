import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { AlertStateFile, loadAlertState, type Persisted } from "../../src/rules/persistence.ts";
import { tempDir } from "../helpers/tools.ts";

const logger = () => {
  const lines: string[] = [];
  const log = { debug() {}, info() {}, warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
  return { lines, log };
};

const state = (): Persisted => ({
  version: 1,
  instances: [
    {
      id: "cpu",
      rule: "cpu",
      key: "",
      severity: "warning",
      level: "warning",
      summary: "CPU at 90%",
      state: "firing",
      pendingSince: 1000,
      firingSince: 2000,
      notified: "warning",
      repeats: 0,
    },
  ],
  fireTimes: [["cpu", [2000]]],
  episodes: [],
  history: [],
  silences: [{ id: "s1", origin: "api", rules: ["cpu"], ends_at: 9000 }],
});

test("the state file round-trips, is written only when something changed, and a missing file is a fresh start", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "alerts", "state.json");
  const { lines, log } = logger();
  assert.equal(await loadAlertState(file, log), null);
  assert.deepEqual(lines, [], "a missing file is no warning");
  const f = new AlertStateFile(file, log);
  await f.save(state);
  assert.throws(() => readFileSync(file), /ENOENT/, "nothing changed: nothing written");
  f.dirty = true;
  await f.save(state);
  assert.equal(f.dirty, false);
  assert.deepEqual(await loadAlertState(file, log), state());
});

test("a broken state file starts fresh with a warning; an invalid alert is dropped, the rest kept", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "state.json");
  const { lines, log } = logger();
  writeFileSync(file, "{not json");
  assert.equal(await loadAlertState(file, log), null);
  assert.match(lines[0] ?? "", /alert state .*state\.json is unreadable \(.*\); starting fresh/);
  writeFileSync(file, JSON.stringify({ version: 2, instances: [] }));
  assert.equal(await loadAlertState(file, log), null);
  assert.match(lines[1] ?? "", /expected version 1 alert state/);
  const s = state();
  s.instances.push({ ...(s.instances[0] as Persisted["instances"][0]), id: "bad", pendingSince: 1e300 });
  writeFileSync(file, JSON.stringify(s));
  const p = await loadAlertState(file, log);
  assert.deepEqual(
    p?.instances.map((i) => i.id),
    ["cpu"],
  );
  assert.match(lines[2] ?? "", /alert "bad" is not valid; dropped/);
});

test("a failed write keeps the state dirty (retried on the next change) and is logged once", async (t) => {
  const dir = tempDir(t);
  // a path under a regular file cannot be written, whoever runs the test
  const blocker = join(dir, "blocker");
  writeFileSync(blocker, "a file, not a directory");
  const { lines, log } = logger();
  const f = new AlertStateFile(join(blocker, "alerts", "state.json"), log);
  f.dirty = true;
  await f.save(state);
  await f.save(state);
  assert.equal(f.dirty, true, "still to be written");
  assert.equal(lines.length, 1, `logged once: ${lines.join(" | ")}`);
  assert.match(lines[0] ?? "", /cannot save alert state to .*; kept in memory/);
});
