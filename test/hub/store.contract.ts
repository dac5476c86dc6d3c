// One contract every hub store passes (SQLite and PostgreSQL): test/hub/store.test.ts runs it on each.
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import type { HubStore, PushBatch } from "../../src/hub/store/types.ts";

const MIN = 60_000;
export const TIERS = [
  { step: MIN, keep: 48 * 3_600_000 },
  { step: 15 * MIN, keep: 30 * 86_400_000 },
];

const batch = (seq: number, over: Partial<PushBatch> = {}): PushBatch => ({
  device: "cam-1",
  boot_id: "boot-a",
  seq,
  received: Date.now(),
  interval_ms: 1000,
  status: { status: "capturing" },
  exposition: `edgewatch_up 1\n`,
  samples: [],
  events: [],
  alerts: [],
  clock_offset_ms: 0,
  clock_ahead: false,
  ...over,
});

export async function storeContract(t: TestContext, open: () => Promise<HubStore>): Promise<void> {
  const store = await open();
  t.after(() => store.close());
  const now = Date.now();

  await t.test("enroll: created once, then exists; found by token hash and id", async () => {
    assert.equal(
      await store.enroll({ id: "cam-1", site: "gym", tags: ["a", "b"], token_hash: "h1", now, interval_ms: 1000 }),
      "created",
    );
    assert.equal(
      await store.enroll({ id: "cam-1", site: "x", tags: [], token_hash: "h9", now, interval_ms: 1000 }),
      "exists",
    );
    assert.equal(
      await store.enroll({ id: "cam-2", site: "gym", tags: [], token_hash: "h2", now, interval_ms: 1000 }),
      "created",
    );
    const d = await store.deviceByTokenHash("h1");
    assert.equal(d?.id, "cam-1");
    assert.deepEqual(d?.tags, ["a", "b"]);
    assert.equal(d?.state, "new");
    assert.equal(d?.last_seen, null);
    assert.equal(await store.deviceByTokenHash("h9"), null);
    assert.deepEqual(
      (await store.listDevices()).map((x) => x.id),
      ["cam-1", "cam-2"],
    );
  });

  await t.test(
    "ingest: stored after commit; a replayed (boot, seq) or an older seq of the same boot is refused",
    async () => {
      assert.equal(await store.ingest(batch(1)), "stored");
      assert.equal(await store.ingest(batch(2)), "stored");
      assert.equal(await store.ingest(batch(2)), "replay");
      assert.equal(await store.ingest(batch(1)), "replay");
      assert.equal(await store.ingest(batch(1, { boot_id: "boot-b" })), "stored", "a new boot starts again at 1");
      assert.equal(await store.ingest(batch(2, { boot_id: "boot-a" })), "replay", "an old boot's batch stays refused");
      const d = await store.getDevice("cam-1");
      assert.equal(d?.pushes, 3);
      assert.equal(d?.last_seq, 1);
      assert.equal(d?.boot_id, "boot-b");
      assert.deepEqual(d?.status, { status: "capturing" });
      assert.equal(d?.exposition, "edgewatch_up 1\n");
    },
  );

  await t.test("the same batch pushed concurrently is stored exactly once", async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => store.ingest(batch(5, { boot_id: "boot-c" }))));
    assert.equal(results.filter((r) => r === "stored").length, 1);
    assert.equal(results.filter((r) => r === "replay").length, 7);
  });

  await t.test("history: samples roll up into every tier (avg, min, max); a range picks the tier", async () => {
    const t0 = Math.floor(now / (15 * MIN)) * 15 * MIN - 30 * MIN;
    const samples: { t: number; v: Record<string, number> }[] = [
      { t: t0 + 1000, v: { "cpu.usage": 0.2, temp: 50 } },
      { t: t0 + 31_000, v: { "cpu.usage": 0.4, temp: 52 } },
      { t: t0 + MIN + 1000, v: { "cpu.usage": 0.9 } },
    ];
    assert.equal(await store.ingest(batch(6, { boot_id: "boot-c", samples })), "stored");
    const fine = await store.history("cam-1", t0, t0 + 2 * MIN, MIN);
    assert.deepEqual(
      fine.map((p) => p.t),
      [t0, t0 + MIN],
    );
    assert.deepEqual(fine[0]?.values["cpu.usage"], { avg: 0.3, min: 0.2, max: 0.4 });
    assert.deepEqual(fine[0]?.values.temp, { avg: 51, min: 50, max: 52 });
    assert.deepEqual(fine[1]?.values["cpu.usage"], { avg: 0.9, min: 0.9, max: 0.9 });
    const coarse = await store.history("cam-1", t0, t0 + 15 * MIN, 15 * MIN);
    assert.equal(coarse.length, 1);
    assert.deepEqual(coarse[0]?.values["cpu.usage"], { avg: 0.5, min: 0.2, max: 0.9 });
    // older than the 1-minute tier keeps: answered from the 15-minute tier
    const old = now - 10 * 86_400_000;
    assert.equal(await store.ingest(batch(7, { boot_id: "boot-c", samples: [{ t: old, v: { x: 1 } }] })), "stored");
    const far = await store.history("cam-1", old - 3_600_000, old + 3_600_000, MIN);
    assert.equal(far.length, 1);
    assert.equal(far[0]?.t, Math.floor(old / (15 * MIN)) * 15 * MIN);
    assert.ok((await store.prune(now)) >= 1, "prune drops the 1-minute buckets past their keep");
    assert.equal((await store.history("cam-1", t0, t0 + 2 * MIN, MIN)).length, 2, "recent buckets stay");
  });

  await t.test("events, device state, alerts, checks, silences", async () => {
    await store.ingest(
      batch(8, {
        boot_id: "boot-c",
        events: [{ t: now, level: "error", source: "timelapse", message: "capture failed" }],
      }),
    );
    await store.addEvent({ device: "cam-2", kind: "hub", t: now + 1, level: "info", source: "ping", message: "m" });
    assert.deepEqual(
      (await store.events({ device: "cam-1", limit: 10 })).map((e) => e.message),
      ["capture failed"],
    );
    assert.equal((await store.events({ limit: 10 }))[0]?.device, "cam-2");
    await store.setDeviceState("cam-1", "down", now);
    assert.equal((await store.getDevice("cam-1"))?.state, "down");
    const a = {
      id: "a1",
      kind: "device_down" as const,
      subject: "cam-1",
      site: "gym",
      state: "firing" as const,
      since: now,
      resolved_at: null,
      summary: "s",
      notified: true,
    };
    await store.putAlert(a);
    assert.equal((await store.alerts({ state: "firing", limit: 10 })).length, 1);
    await store.putAlert({ ...a, state: "resolved", resolved_at: now + 5 });
    assert.equal((await store.alerts({ state: "firing", limit: 10 })).length, 0);
    assert.equal((await store.alerts({ limit: 10 }))[0]?.resolved_at, now + 5);
    const c = {
      uuid: "0f0e0d0c-0b0a-4908-8706-050403020100",
      slug: "s",
      name: "n",
      period_ms: 1,
      grace_ms: 2,
      schedule: "0 3 * * *",
      state: "up" as const,
      last_ping: now,
      started_at: null,
      start_rid: null,
      last_exit: 0,
      last_body: "b",
      pings: 3,
      created: now,
      device: "cam-1",
    };
    await store.putCheck(c);
    await store.putCheck({ ...c, pings: 4 });
    assert.equal((await store.getCheck(c.uuid))?.pings, 4);
    assert.equal((await store.getCheck(c.uuid))?.device, "cam-1", "a check keeps the device it watches");
    assert.equal((await store.checksBySlug("s")).length, 1);
    assert.equal((await store.listChecks()).length, 1);
    assert.equal(await store.deleteCheck(c.uuid), true);
    assert.equal(await store.getCheck(c.uuid), null);
    const s = {
      id: "s1",
      device: null,
      site: "gym",
      tag: null,
      starts_at: now,
      ends_at: now + 1000,
      comment: "maintenance",
      created_at: now - 5000,
    };
    await store.putSilence(s);
    assert.deepEqual(await store.listSilences(), [s]);
    assert.equal(await store.deleteSilence("s1"), true);
    assert.equal(await store.deleteDevice("cam-2"), true);
    assert.equal(await store.deleteDevice("cam-2"), false);
  });

  await t.test(
    "fleet tables: per-device data, the command queue's states, share tokens; all go with their device",
    async () => {
      const f = store.fleet;
      const b = batch(1, { boot_id: "boot-d", received: now - 7, data: { summary: '{"status":"new"}' } });
      assert.equal(await store.ingest(b), "stored");
      assert.deepEqual(await f.getData("cam-1", "summary"), { device: "cam-1", value: '{"status":"new"}', t: now - 7 });
      assert.equal(await store.ingest({ ...b, data: { summary: "replayed" } }), "replay");
      assert.equal((await f.getData("cam-1", "summary"))?.value, '{"status":"new"}', "a replay writes no data");
      await f.putData("cam-1", "summary", '{"status":"idle"}', now);
      await f.putData("cam-1", "summary", '{"status":"capturing"}', now + 1);
      await f.putData("cam-1", "thumbnail", "AAAA", now + 2);
      assert.deepEqual(await f.getData("cam-1", "summary"), {
        device: "cam-1",
        value: '{"status":"capturing"}',
        t: now + 1,
      });
      assert.equal(await f.getData("cam-9", "summary"), null);
      assert.deepEqual(await f.allData("thumbnail", false), [{ device: "cam-1", value: "", t: now + 2 }]);
      const cmd = {
        id: "c1",
        device: "cam-1",
        action: "test_camera",
        args: { n: 1 },
        state: "queued" as const,
        created_at: now,
        sent_at: null,
        finished_at: null,
        output: null,
        by: "admin@127.0.0.1",
      };
      await f.putCommand(cmd);
      await f.putCommand({ ...cmd, id: "c2", created_at: now + 1 });
      assert.deepEqual(
        (await f.commands("cam-1", { state: "queued", limit: 10 })).map((c) => c.id),
        ["c2", "c1"],
        "newest first",
      );
      await f.putCommand({ ...cmd, state: "sent", sent_at: now + 5 });
      await f.putCommand({ ...cmd, state: "done", sent_at: now + 5, finished_at: now + 9, output: "ok" });
      assert.deepEqual(await f.getCommand("c1"), {
        ...cmd,
        state: "done",
        sent_at: now + 5,
        finished_at: now + 9,
        output: "ok",
      });
      assert.deepEqual(
        (await f.commands("cam-1", { state: "queued", limit: 10 })).map((c) => c.id),
        ["c2"],
      );
      const share = { id: "s1", label: "neighbour", token_hash: "th", created_at: now, expires_at: now + 1000 };
      await f.putShare(share);
      await f.putShare({ ...share, id: "s2", token_hash: "th2", expires_at: null });
      assert.deepEqual(await f.listShares(), [share, { ...share, id: "s2", token_hash: "th2", expires_at: null }]);
      assert.equal(await f.deleteShare("s1"), true);
      assert.equal(await f.deleteShare("s1"), false);
      assert.equal(await store.deleteDevice("cam-1"), true);
      assert.equal(await f.getData("cam-1", "summary"), null, "a removed device's data goes with it");
      assert.equal(await f.getCommand("c2"), null, "and its commands");
    },
  );
}
