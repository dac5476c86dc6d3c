// Small parts of the hub and the agent's push queue, without processes.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { validateConfig } from "../../src/agent/config.ts";
import { PushQueue } from "../../src/agent/hub/queue.ts";
import { Cron } from "../../src/hub/cron.ts";
import { Deadlines } from "../../src/hub/deadlines.ts";
import { tempDir } from "../helpers/tools.ts";

const batch = (seq: number, samples = 10) => ({
  boot_id: "b",
  seq,
  sent_at: 0,
  interval: 1,
  samples: Array.from({ length: samples }, (_, i) => ({ t: i, v: { "system.load": i } })),
  events: [],
  alerts: [],
});

test("push queue: within its byte budget the oldest batches go first, counted; on disk only while non-empty", async (t) => {
  const dir = tempDir(t);
  const q = new PushQueue(dir, 2000);
  await q.load();
  for (let i = 1; i <= 20; i++) q.push(batch(i));
  assert.ok(q.bytes <= 2000, `${q.bytes} bytes`);
  assert.ok(q.droppedBatches > 0);
  assert.equal(q.droppedSamples, q.droppedBatches * 10);
  assert.equal(q.batches.at(-1)?.seq, 20, "the newest is kept");
  assert.equal(q.batches[0]?.seq, q.droppedBatches + 1, "the oldest were dropped");
  await q.save();
  const file = join(dir, "queue.json");
  assert.equal((JSON.parse(readFileSync(file, "utf8")) as unknown[]).length, q.batches.length);
  // a restart reads it back
  const again = new PushQueue(dir, 2000);
  await again.load();
  assert.deepEqual(again.batches, q.batches);
  for (const b of [...again.batches]) again.ack(b);
  assert.equal(again.bytes, 0);
  await again.save();
  assert.ok(!existsSync(file), "an empty queue leaves no file");
});

test("cron schedules (UTC): next occurrence after a time", () => {
  const at = (s: string) => Date.parse(s);
  assert.equal(new Cron("0 3 * * *").next(at("2026-11-30T03:00:00Z")), at("2026-12-01T03:00:00Z"));
  assert.equal(new Cron("*/15 * * * *").next(at("2026-11-30T10:07:30Z")), at("2026-11-30T10:15:00Z"));
  assert.equal(
    new Cron("30 8 * * 1-5").next(at("2026-11-28T12:00:00Z")),
    at("2026-11-30T08:30:00Z"),
    "Saturday → Monday",
  );
  assert.equal(new Cron("0 0 1 1 *").next(at("2026-11-30T00:00:00Z")), at("2027-01-01T00:00:00Z"));
  assert.throws(() => new Cron("61 * * * *"), /"61" is outside 0-59/);
  assert.throws(() => new Cron("* * *"), /expected a cron schedule of 5 fields/);
});

test("deadlines: one timer fires each key at its time, in order; re-arming replaces", async () => {
  const fired: string[] = [];
  const d = new Deadlines((k) => fired.push(k));
  const now = Date.now();
  d.set("c", now + 60);
  d.set("a", now + 20);
  d.set("b", now + 40);
  d.set("a", now + 80); // replaced: fires once, last
  d.set("x", now + 30);
  d.clear("x");
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(fired, ["b", "c", "a"]);
  assert.equal(d.size, 0);
  d.stop();
});

test("agent config: hub needs a URL and enroll_key or token; device.tags is a list", () => {
  const ok = validateConfig(
    { device: { id: "cam", tags: ["roof"] }, hub: { url: "https://hub.example.net", token: "ewd_0123456789abcdef" } },
    "t",
    {},
  );
  assert.equal(ok.hub?.interval, 15_000);
  assert.deepEqual(ok.device.tags, ["roof"]);
  assert.throws(
    () => validateConfig({ hub: { url: "htp:/x" }, device: { tags: "roof" } }, "t", {}),
    (err: Error & { problems?: string[] }) => {
      const p = (err.problems ?? []).join("\n");
      assert.match(p, /t: hub\.url: expected an http\(s\) URL/);
      assert.match(p, /t: device\.tags: expected a list, got "roof"/);
      return true;
    },
  );
  assert.throws(() => validateConfig({ hub: { url: "https://h" } }, "t", {}), /expected enroll_key or token/);
});
