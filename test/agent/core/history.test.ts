import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  deserialize,
  HistoryRing,
  type HistorySample,
  HistoryStore,
  serialize,
} from "../../../src/agent/history/ring.ts";
import { updateStatus } from "../../../src/protocol/fragment.ts";
import { tempDir, waitFor } from "../../helpers/tools.ts";
import { get, startTestAgent } from "./helpers.ts";

test("the ring keeps the last max samples, oldest first", () => {
  const r = new HistoryRing(1000);
  for (let i = 0; i < 2500; i++) r.push({ t: i, v: { x: i } });
  const all = r.all();
  assert.equal(all.length, 1000);
  assert.equal(all[0]?.t, 1500);
  assert.equal(all.at(-1)?.t, 2499);
  assert.deepEqual(
    r.since(2495).map((s) => s.t),
    [2495, 2496, 2497, 2498, 2499],
  );
});

test("columnar file form round-trips, sparse keys included; a corrupt file is rejected with what was expected", () => {
  const samples: HistorySample[] = [
    { t: 1, v: { "system.cpu_usage_ratio": 0.25, photos_captured: 3 } },
    { t: 2, v: { "thermal.cpu_temperature_celsius": 48.5 } },
  ];
  assert.deepEqual(deserialize(serialize(samples)), samples);
  assert.throws(() => deserialize('{"rows": 5}'), /expected \{"v":1,"keys"/);
});

test("the store flushes atomically once per flush interval and only when dirty; a bad file starts empty with a warning", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "sub", "history.json");
  let now = 1_000_000;
  const warnings: string[] = [];
  const store = new HistoryStore({
    file,
    maxSamples: 10,
    intervalMs: 60_000,
    flushMs: 50,
    onWarning: (m) => warnings.push(m),
    now: () => now,
  });
  await store.load();
  assert.equal(store.offer({ a: 1 }), true);
  assert.equal(store.offer({ a: 2 }), false, "rate-limited to one sample per interval");
  now += 60_000;
  assert.equal(store.offer({ a: 3 }), true);
  assert.equal(store.dirty, true);
  await waitFor("flush", () => store.flushes === 1);
  assert.equal(store.dirty, false, "no timer left armed after the flush");
  assert.deepEqual(
    deserialize(readFileSync(file, "utf8")).map((s) => s.v.a),
    [1, 3],
  );
  assert.deepEqual(
    readdirSync(join(dir, "sub")).filter((n) => n.includes(".tmp")),
    [],
    "no temp files left behind",
  );
  const reloaded = new HistoryStore({ file, maxSamples: 10, intervalMs: 0, flushMs: 50, onWarning: () => {} });
  await reloaded.load();
  assert.equal(reloaded.ring.size, 2);

  writeFileSync(file, "garbage");
  const broken = new HistoryStore({
    file,
    maxSamples: 10,
    intervalMs: 0,
    flushMs: 50,
    onWarning: (m) => warnings.push(m),
  });
  await broken.load();
  assert.equal(broken.ring.size, 0);
  assert.match(warnings.at(-1) ?? "", /not usable .*starting empty/);
});

test("history survives an agent restart and is not sampled in quiet mode", async (t) => {
  const a = await startTestAgent(t, { history: { interval: 0 } });
  await updateStatus("timelapse", { status: "capturing", today: { photos_captured: 41 } }, { dir: a.statusDir });
  await waitFor("a sample with photos_captured 41", async () => {
    const h = (await get(`${a.url}/api/metrics/history?hours=1`)).json<{ samples: { photos_captured?: number }[] }>();
    return h.samples.some((s) => s.photos_captured === 41);
  });
  await updateStatus("timelapse", { status: "creating_video", today: { photos_captured: 99 } }, { dir: a.statusDir });
  await waitFor("quiet", async () => (await get(`${a.url}/status`)).json<{ agent: { quiet: boolean } }>().agent.quiet);
  const during = (await get(`${a.url}/api/metrics/history?hours=1`)).json<{
    samples: { photos_captured?: number }[];
  }>();
  assert.ok(!during.samples.some((s) => s.photos_captured === 99), "no samples while creating_video");
  await a.stop();

  const b = await startTestAgent(t, { status_dir: a.statusDir, state_dir: a.stateDir, history: { interval: 3600 } });
  const h = (await get(`${b.url}/api/metrics/history?hours=1`)).json<{ samples: { photos_captured?: number }[] }>();
  assert.ok(
    h.samples.some((s) => s.photos_captured === 41),
    "samples from before the restart are back",
  );
});
