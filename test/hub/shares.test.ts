// Read-only share links on a real hub: a share token reads like the viewer token, never writes,
// expires, is revoked by deleting it, survives a hub restart and is stored only hashed.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { ShareView } from "../../src/hub/api-types.ts";
import { tempDir } from "../helpers/tools.ts";
import { admin, api, hubConfig, startHub, waitFor } from "./helpers.ts";
import { openStream } from "./stream-client.ts";

test("share links: read-only, expiring, revocable, kept hashed across a restart", { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, "ew-shares-");
  const cfg = hubConfig(join(dir, "hub"), "viewer_token: viewer-token-0123456789");
  let hub = await startHub(t, cfg);
  const make = (body: unknown, headers: Record<string, string> = admin) =>
    api<ShareView & { token: string; url: string; error?: string }>(`${hub.url}/api/v1/shares`, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  assert.equal((await make({ label: "x" }, {})).status, 401, "making a share needs the admin token");
  const bad = await make({ label: "x", expires_in: "soon" });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error ?? "", /expires_in: expected a duration like "7d", got "soon"/);

  const s = await make({ label: "the neighbour" });
  assert.equal(s.status, 201, s.text);
  assert.match(s.body.token, /^ews_/);
  assert.equal(s.body.url, `${hub.url}/#share=${s.body.token}`);
  assert.equal(s.body.expires_at, null);
  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  assert.equal((await api(`${hub.url}/api/v1/devices`)).status, 401, "reads are closed (viewer_token set)");
  assert.equal((await api(`${hub.url}/api/v1/devices`, { headers: as(s.body.token) })).status, 200);
  assert.equal((await api(`${hub.url}/api/v1/overview`, { headers: as(s.body.token) })).status, 200);
  const stream = await openStream(hub.url, as(s.body.token));
  assert.equal(stream.status, 200, "the live stream takes a share token too");
  stream.close();
  // never writes, never reads the audit or the share list
  const w = await api(`${hub.url}/api/v1/silences`, {
    method: "POST",
    headers: as(s.body.token),
    body: JSON.stringify({ site: "gym", duration: "1h" }),
  });
  assert.equal(w.status, 401);
  assert.equal((await api(`${hub.url}/api/v1/audit`, { headers: as(s.body.token) })).status, 401);
  assert.equal((await api(`${hub.url}/api/v1/shares`, { headers: as(s.body.token) })).status, 401);

  const short = await make({ label: "one second", expires_in: "1s" });
  assert.equal(short.status, 201);
  assert.ok(short.body.expires_at);
  await waitFor("the short share expired", async () =>
    (await api(`${hub.url}/api/v1/devices`, { headers: as(short.body.token) })).status === 401 ? true : null,
  );

  const list = await api<Record<string, unknown>[]>(`${hub.url}/api/v1/shares`, { headers: admin });
  assert.deepEqual(
    list.body.map((x) => x.label),
    ["the neighbour", "one second"],
  );
  assert.ok(
    list.body.every((x) => !("token" in x) && !("token_hash" in x)),
    "the list shows no token and no hash",
  );

  // a restart keeps it; the store holds only the hash
  await hub.kill("SIGTERM");
  hub = await startHub(t, cfg);
  assert.equal((await api(`${hub.url}/api/v1/devices`, { headers: as(s.body.token) })).status, 200);
  assert.equal(readFileSync(join(dir, "hub", "state", "hub.sqlite")).includes(s.body.token), false);

  const del = await api(`${hub.url}/api/v1/shares/${s.body.id}`, { method: "DELETE", headers: admin });
  assert.equal(del.status, 200, del.text);
  assert.equal((await api(`${hub.url}/api/v1/devices`, { headers: as(s.body.token) })).status, 401, "revoked at once");
  assert.equal((await api(`${hub.url}/api/v1/shares/${s.body.id}`, { method: "DELETE", headers: admin })).status, 404);
  const audit = await api<{ action: string }[]>(`${hub.url}/api/v1/audit`, { headers: admin });
  assert.deepEqual(
    audit.body.map((e) => e.action),
    ["DELETE /api/v1/shares", "POST /api/v1/shares", "POST /api/v1/shares"],
    "shares made and deleted are audited (across the restart)",
  );
});
