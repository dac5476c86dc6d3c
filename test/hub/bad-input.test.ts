import assert from "node:assert/strict";
import { test } from "node:test";
import { tempDir } from "../helpers/tools.ts";
import { api, batch, devices, ENROLL_KEY, enroll, hubConfig, push, startHub } from "./helpers.ts";

test("bad input: each a clear 4xx, nothing stored that should not be, the hub keeps serving", {
  timeout: 180_000,
}, async (t) => {
  const dir = tempDir(t);
  const hub = await startHub(
    t,
    hubConfig(
      dir,
      "http: { bind: 127.0.0.1, max_body_bytes: 65536 }\ningest: { enroll_per_minute: 20, commit_interval: 20ms }",
    ),
  );
  const token = await enroll(hub.url, "cam-1");
  assert.equal((await push(hub.url, token, batch(1))).status, 200);
  const pushes = async () => (await devices(hub.url)).find((d) => d.id === "cam-1")?.pushes;

  // wrong or missing device token
  const wrong = await push(hub.url, "ewd_not-a-token-at-all", batch(2));
  assert.equal(wrong.status, 401);
  assert.match(wrong.text, /unknown device token/);
  const none = await api(`${hub.url}/api/v1/push`, { method: "POST", body: JSON.stringify(batch(2)) });
  assert.equal(none.status, 401);
  assert.match(none.text, /push needs Authorization: Bearer <device token>/);
  // the enroll key is not a device token and grants no reads when a viewer token is set (see api.test.ts)
  assert.equal((await push(hub.url, ENROLL_KEY, batch(2))).status, 401);

  // a body over the limit
  const big = await push(hub.url, token, batch(2, { metrics: "x".repeat(70_000) }));
  assert.equal(big.status, 413);
  assert.match(big.text, /over the 65536-byte limit/);

  // malformed JSON, and JSON of the wrong shape
  const garbage = await push(hub.url, token, "{not json");
  assert.equal(garbage.status, 400);
  assert.match(garbage.text, /expected JSON/);
  const shape = await push(hub.url, token, { boot_id: "b", seq: -1, sent_at: "now", interval: 1 });
  assert.equal(shape.status, 400);
  assert.match(shape.text, /seq/);
  assert.match(shape.text, /sent_at/);
  assert.equal(await pushes(), 1, "nothing stored from the refused pushes");

  // a replayed sequence number
  const replay = await push(hub.url, token, batch(1));
  assert.equal(replay.status, 409);
  assert.match(replay.text, /batch 1 of boot boot-1 was already acknowledged; nothing stored/);
  assert.equal(await pushes(), 1);

  // a batch from a clock an hour ahead: accepted for liveness, samples restamped, the device flagged
  const ahead = Date.now() + 3_600_000;
  const future = await push(
    hub.url,
    token,
    batch(2, { sent_at: ahead, samples: [{ t: ahead, v: { "system.load": 7 } }] }),
  );
  assert.equal(future.status, 200, future.text);
  assert.match(JSON.stringify(future.body.warnings), /device clock is \d+ s ahead of the hub; samples restamped/);
  const dev = (await devices(hub.url)).find((d) => d.id === "cam-1");
  assert.equal(dev?.clock_ahead, true);
  const h = await api<{ points: { t: string }[] }>(
    `${hub.url}/api/v1/devices/cam-1/history?from=-1h&to=${ahead + 7_200_000}&step=1m`,
  );
  assert.equal(h.status, 200, h.text);
  assert.ok(h.body.points.length > 0);
  for (const p of h.body.points) assert.ok(Date.parse(p.t) <= Date.now(), `no sample stored in the future (${p.t})`);
  const metrics = await api(`${hub.url}/metrics`);
  assert.match(metrics.text, /edgewatch_device_clock_ahead\{device="cam-1",site="lab"\} 1/);

  // 1,000 enrollments from one address: rate limited, only the allowed ones stored
  const codes = new Map<number, number>();
  for (let i = 0; i < 1000; i++) {
    const r = await fetch(`${hub.url}/api/v1/enroll`, {
      method: "POST",
      headers: { Authorization: `Bearer ${ENROLL_KEY}` },
      body: JSON.stringify({ id: `flood-${i}` }),
    });
    await r.arrayBuffer();
    codes.set(r.status, (codes.get(r.status) ?? 0) + 1);
    if (r.status === 429) assert.ok(Number(r.headers.get("retry-after")) >= 1);
  }
  const created = codes.get(201) ?? 0;
  assert.ok(created >= 1 && created <= 25, `created ${created} (limit 20 per minute): ${JSON.stringify([...codes])}`);
  assert.equal(created + (codes.get(429) ?? 0), 1000);
  assert.equal((await devices(hub.url)).filter((d) => d.id.startsWith("flood-")).length, created);

  // still serving
  assert.equal((await push(hub.url, token, batch(3))).status, 200);
  assert.equal(hub.child.exitCode, null);
});
