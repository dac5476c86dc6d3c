// Two hub replicas on one PostgreSQL (Debian's, started in a temp dir): state is shared.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { startPostgres } from "../helpers/postgres.ts";
import { tempDir } from "../helpers/tools.ts";
import { admin, api, batch, enroll, hubConfig, push, startHub } from "./helpers.ts";

test("two hub replicas share one PostgreSQL store: a device enrolled on one pushes to the other; replays refused across them", {
  timeout: 180_000,
}, async (t) => {
  const url = await startPostgres(t);
  if (!url) return;
  const dir = tempDir(t);
  const a = await startHub(t, hubConfig(join(dir, "a"), `store: { type: postgres, url: "${url}" }`));
  const b = await startHub(t, hubConfig(join(dir, "b"), `store: { type: postgres, url: "${url}" }`));
  const token = await enroll(a.url, "cam-pg", "gym");
  assert.equal((await push(a.url, token, batch(1))).status, 200);
  assert.equal((await push(b.url, token, batch(2))).status, 200, "replica b knows a device enrolled on a");
  assert.equal((await push(b.url, token, batch(1))).status, 409, "a batch acknowledged by a is a replay on b");
  const dup = await api(`${b.url}/api/v1/enroll`, {
    method: "POST",
    headers: { Authorization: "Bearer enroll-key-for-tests-0123456789" },
    body: JSON.stringify({ id: "cam-pg" }),
  });
  assert.equal(dup.status, 409);
  const h = await api<{ points: unknown[] }>(`${a.url}/api/v1/devices/cam-pg/history?from=-10m&step=1m`);
  assert.equal(h.status, 200, h.text);
  assert.ok(h.body.points.length >= 1, "history written through b is read through a");
  // the command queue is in the store: queued through a, handed out by b, its result seen through a
  const q = await api<{ id: string }>(`${a.url}/api/v1/devices/cam-pg/commands`, {
    method: "POST",
    headers: admin,
    body: JSON.stringify({ action: "test_camera" }),
  });
  assert.equal(q.status, 202, q.text);
  const answer = await push(b.url, token, batch(3));
  assert.deepEqual(answer.body.commands, [{ id: q.body.id, action: "test_camera", args: {} }]);
  assert.equal(
    (await push(b.url, token, batch(4, { command_results: [{ id: q.body.id, ok: true, output: "fine" }] }))).status,
    200,
  );
  const cmds = await api<{ id: string; state: string; output: string }[]>(`${a.url}/api/v1/devices/cam-pg/commands`);
  assert.deepEqual(
    cmds.body.map((c) => [c.id, c.state, c.output]),
    [[q.body.id, "done", "fine"]],
  );
  await b.kill("SIGTERM");
  assert.equal(b.child.exitCode, 0, b.out());
});
