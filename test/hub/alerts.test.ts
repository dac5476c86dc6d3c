// Site-wide outages, silences and the read/write tokens, with simulated devices pushing over HTTP.
import assert from "node:assert/strict";
import { test } from "node:test";
import { webhookServer } from "../agent/notify/contracts.ts";
import { tempDir } from "../helpers/tools.ts";
import { ADMIN, api, batch, ENROLL_KEY, enroll, hubConfig, push, startHub, waitFor } from "./helpers.ts";

const VIEWER = "viewer-token-for-tests-012345";
const viewer = { Authorization: `Bearer ${VIEWER}` };

test("a whole site silent → one 'site unreachable' alert; silences mute a device; tokens guard reads and writes", {
  timeout: 180_000,
}, async (t) => {
  const dir = tempDir(t);
  const hook = await webhookServer(t);
  const hub = await startHub(
    t,
    hubConfig(
      dir,
      `offline_after: 2s
viewer_token: ${VIEWER}
notify:
  channels: [{ type: webhook, url: "${hook.url}/hook" }]
  outbox: { backoff_initial: 100ms, backoff_max: 500ms, summary_after: 1000 }`,
    ),
  );
  const tok: Record<string, string> = {};
  for (const [id, site, tags] of [
    ["gym-a", "gym", ["door"]],
    ["gym-b", "gym", []],
    ["roof-c", "roof", ["gen2"]],
    ["roof-d", "roof", []],
  ] as const) {
    tok[id] = await enroll(hub.url, id, site, [...tags]);
  }
  const seq: Record<string, number> = {};
  const beat = (ids: string[]) =>
    Promise.all(
      ids.map((id) => {
        seq[id] = (seq[id] ?? 0) + 1;
        return push(hub.url, tok[id] as string, batch(seq[id], { status: { status: "capturing" } }));
      }),
    );
  const state = async (id: string) =>
    (await api<{ state: string }>(`${hub.url}/api/v1/devices/${id}`, { headers: viewer })).body.state;
  let alive = ["gym-a", "gym-b", "roof-c", "roof-d"];
  const timer = setInterval(() => void beat(alive).catch(() => {}), 400);
  t.after(() => clearInterval(timer));
  await beat(alive);

  // reads need the viewer (or admin) token; the enroll key grants nothing; writes need the admin token
  assert.equal((await api(`${hub.url}/api/v1/devices`)).status, 401);
  assert.equal(
    (await api(`${hub.url}/api/v1/devices`, { headers: { Authorization: `Bearer ${ENROLL_KEY}` } })).status,
    401,
  );
  assert.equal((await api(`${hub.url}/sd`)).status, 401);
  assert.equal((await api(`${hub.url}/api/v1/devices`, { headers: viewer })).status, 200);
  assert.equal((await api(`${hub.url}/api/v1/devices`, { headers: { Authorization: `Bearer ${ADMIN}` } })).status, 200);
  const silence = { device: "roof-c", duration: "1h", comment: "re-cabling" };
  assert.equal(
    (await api(`${hub.url}/api/v1/silences`, { method: "POST", headers: viewer, body: JSON.stringify(silence) }))
      .status,
    401,
  );
  const bad = await api(`${hub.url}/api/v1/silences`, {
    method: "POST",
    headers: { Authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify({ duration: "1h" }),
  });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /expected at least one of device, site, tag/);
  const made = await api(`${hub.url}/api/v1/silences`, {
    method: "POST",
    headers: { Authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify(silence),
  });
  assert.equal(made.status, 201, made.text);

  // the whole gym goes silent: one site alert, no per-device down notifications
  alive = ["roof-c", "roof-d"];
  await waitFor("gym devices down", async () => (await state("gym-a")) === "down" && (await state("gym-b")) === "down");
  await waitFor("the site alert", () => hook.accepted.some((r) => r.json.alert?.rule === "site_unreachable"));
  await new Promise((r) => setTimeout(r, 1500));
  const rules = () => hook.accepted.map((r) => `${r.json.alert?.rule}:${r.json.alert?.state}:${r.json.alert?.key}`);
  assert.deepEqual(rules(), ["site_unreachable:firing:gym"]);
  assert.match(
    hook.accepted[0]?.json.message,
    /site gym is unreachable: all 2 devices stopped pushing \(gym-a, gym-b\)/,
  );

  // the silenced device goes down: recorded, not notified
  alive = ["roof-d"];
  await waitFor("roof-c down", async () => (await state("roof-c")) === "down");
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(rules(), ["site_unreachable:firing:gym"]);
  const firing = await api<{ subject: string; notified: boolean }[]>(`${hub.url}/api/v1/alerts?state=firing`, {
    headers: viewer,
  });
  assert.equal(firing.body.find((a) => a.subject === "roof-c")?.notified, false);

  // one gym device comes back: the site resolves, the other is now reported on its own
  alive = ["roof-d", "gym-a", "roof-c"];
  await waitFor(
    "site resolved and gym-b reported",
    () => rules().includes("site_unreachable:resolved:gym") && rules().includes("device_down:firing:gym-b"),
  );
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(rules().sort(), [
    "device_down:firing:gym-b",
    "site_unreachable:firing:gym",
    "site_unreachable:resolved:gym",
  ]);

  // gym-b back too: one up for it, and no alert is left open
  alive = ["roof-d", "gym-a", "roof-c", "gym-b"];
  await waitFor("gym-b's up", () => rules().includes("device_down:resolved:gym-b"));
  const open = await api<unknown[]>(`${hub.url}/api/v1/alerts?state=firing`, { headers: viewer });
  assert.deepEqual(open.body, []);
  clearInterval(timer);
});
