// A hub SIGKILLed mid-ingest loses no acknowledged batch: every batch it answered 200 for is still
// there after the restart (a re-push of it is refused as a replay), counted per device.
import assert from "node:assert/strict";
import { test } from "node:test";
import { tempDir } from "../helpers/tools.ts";
import { batch, devices, enroll, hubConfig, push, startHub } from "./helpers.ts";

test("hub SIGKILLed mid-ingest: no acknowledged batch lost (counted)", { timeout: 180_000 }, async (t) => {
  const dir = tempDir(t);
  const cfg = hubConfig(dir, "ingest: { commit_interval: 50ms }");
  let hub = await startHub(t, cfg);
  const tokens = await Promise.all(Array.from({ length: 6 }, (_, i) => enroll(hub.url, `sim-${i}`)));
  const acked = tokens.map(() => [] as number[]);
  let stop = false;
  const pushers = tokens.map(async (token, i) => {
    for (let seq = 1; !stop; seq++) {
      try {
        const body = batch(seq, {
          samples: Array.from({ length: 20 }, (_, k) => ({ t: Date.now() - k * 10, v: { a: seq, b: k } })),
        });
        const r = await push(hub.url, token, body);
        if (r.status === 200) acked[i]?.push(seq);
      } catch {
        return; // the hub is gone: this batch was never acknowledged
      }
    }
  });
  while (acked.reduce((n, a) => n + a.length, 0) < 150) await new Promise((r) => setTimeout(r, 20));
  await hub.kill("SIGKILL");
  stop = true;
  await Promise.all(pushers);
  const total = acked.reduce((n, a) => n + a.length, 0);
  assert.ok(total >= 150, `${total} batches acknowledged before the kill`);

  hub = await startHub(t, cfg, hub.port);
  let missing = 0;
  for (const [i, token] of tokens.entries()) {
    for (const seq of acked[i] ?? []) {
      const r = await push(hub.url, token, batch(seq));
      if (r.status !== 409) missing++;
    }
  }
  assert.equal(missing, 0, `${missing} of ${total} acknowledged batches lost`);
  const list = await devices(hub.url);
  for (const [i] of tokens.entries()) {
    const d = list.find((x) => x.id === `sim-${i}`);
    assert.ok(
      (d?.pushes ?? 0) >= (acked[i]?.length ?? 0),
      `sim-${i}: ${d?.pushes} stored, ${acked[i]?.length} acknowledged`,
    );
  }
  t.diagnostic(`${total} acknowledged batches, all present after SIGKILL + restart`);
});
