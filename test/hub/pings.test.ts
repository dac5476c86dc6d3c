// The Healthchecks ping API, driven by the documentation's own curl one-liners (Debian's curl).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { webhookServer } from "../agent/notify/contracts.ts";
import { requireTool, tempDir } from "../helpers/tools.ts";
import { admin, api, hubConfig, startHub, waitFor } from "./helpers.ts";

/** One curl call: [status, body, headers]. */
function curl(args: string[]): { code: number; body: string; headers: string } {
  const r = spawnSync("curl", ["-sS", "-D", "-", "-w", "\n%{http_code}", ...args], { encoding: "utf8" });
  const lines = r.stdout.split("\n");
  const code = Number(lines.pop());
  const text = lines.join("\n");
  const split = text.indexOf("\r\n\r\n");
  return { code, headers: text.slice(0, split), body: text.slice(split + 4) };
}

test("Healthchecks contract: the docs' curl one-liners verbatim, codes, bodies and headers", {
  timeout: 120_000,
}, async (t) => {
  if (!requireTool(t, "curl")) return;
  const dir = tempDir(t);
  const hub = await startHub(t, hubConfig(dir));
  const created = await api<{ uuid: string; ping_url: string }>(`${hub.url}/api/v1/checks`, {
    method: "POST",
    headers: admin,
    body: JSON.stringify({ name: "backup", slug: "backup", period: "1d", grace: "1h" }),
  });
  assert.equal(created.status, 201, created.text);
  const URL = `${hub.url}/ping/${created.body.uuid}`;
  assert.equal(created.body.ping_url, URL, "the new check's answer carries its ping URL, as GET lists it");
  const sh = (script: string) => execFileSync("sh", ["-c", script], { encoding: "utf8", env: { ...process.env, URL } });

  // the one-liners from the Healthchecks docs, as users paste them
  sh('curl -fsS -m 10 --retry 5 -o /dev/null "$URL"');
  sh('curl -fsS -m 10 --retry 5 -o /dev/null "$URL/start"');
  sh('m=$(echo "backup finished: 3 files"); curl -fsS -m 10 --retry 5 --data-raw "$m" "$URL/$?"');
  writeFileSync(join(dir, "log.txt"), "log line 1\nlog line 2\n");
  sh(`cd ${dir} && curl -fsS -m 10 --retry 5 --data-binary @log.txt "$URL/0"`);
  sh('wget -q -T 10 -O /dev/null "$URL" 2>/dev/null || curl -fsS -o /dev/null "$URL"');
  let checks = await api<{ uuid: string; state: string; pings: number; last_body: string }[]>(
    `${hub.url}/api/v1/checks`,
  );
  const c = checks.body.find((x) => x.uuid === created.body.uuid);
  assert.equal(c?.state, "up");
  assert.equal(c?.pings, 5);

  // responses: 200 OK with Ping-Body-Limit and CORS
  const ok = curl([URL]);
  assert.equal(ok.code, 200);
  assert.equal(ok.body, "OK");
  assert.match(ok.headers, /ping-body-limit: 10000/i);
  assert.match(ok.headers, /access-control-allow-origin: \*/i);
  assert.equal(curl(["-X", "HEAD", "-I", URL]).code, 200);
  assert.equal(curl(["-X", "POST", "--data", "x", URL]).code, 200);
  // 404 unknown uuid, unknown ping key, unknown slug without create
  const missing = curl([`${hub.url}/ping/0f0e0d0c-0b0a-4908-8706-050403020100`]);
  assert.deepEqual([missing.code, missing.body], [404, "not found"]);
  assert.deepEqual([curl([`${hub.url}/ping/wrong-key-123/backup`]).code], [404]);
  assert.deepEqual(
    [curl([`${hub.url}/ping/${hub.pingKey}/nope`]).code, curl([`${hub.url}/ping/${hub.pingKey}/nope`]).body],
    [404, "not found"],
  );
  // 400: exit status over 255, an uppercase slug, a malformed rid
  assert.deepEqual([curl([`${URL}/256`]).code, curl([`${URL}/256`]).body], [400, "invalid url format"]);
  assert.deepEqual([curl([`${hub.url}/ping/${hub.pingKey}/Backup`]).body], ["invalid url format"]);
  assert.deepEqual(
    [curl([`${URL}?rid=not-a-uuid`]).code, curl([`${URL}?rid=not-a-uuid`]).body],
    [400, "invalid uuid format"],
  );
  // slug pings; ?create=1 → 201 Created once, then 200
  const slugUrl = `${hub.url}/ping/${hub.pingKey}/backup`;
  assert.deepEqual([curl([slugUrl]).code, curl([slugUrl]).body], [200, "OK"]);
  const create = curl([`${hub.url}/ping/${hub.pingKey}/db-dump?create=1`]);
  assert.deepEqual([create.code, create.body], [201, "Created"]);
  assert.equal(curl([`${hub.url}/ping/${hub.pingKey}/db-dump?create=1`]).code, 200);
  // 409: two checks with the same slug
  await api(`${hub.url}/api/v1/checks`, {
    method: "POST",
    headers: admin,
    body: JSON.stringify({ name: "backup 2", slug: "backup" }),
  });
  const amb = curl([slugUrl]);
  assert.deepEqual([amb.code, amb.body], [409, "ambiguous slug"]);

  // rid pairs start and finish: a finish with another rid leaves the run started
  const rid1 = "11111111-2222-4333-8444-555555555555";
  const rid2 = "99999999-2222-4333-8444-555555555555";
  curl([`${URL}/start?rid=${rid1}`]);
  curl([`${URL}?rid=${rid2}`]);
  checks = await api(`${hub.url}/api/v1/checks`);
  assert.equal(checks.body.find((x) => x.uuid === created.body.uuid)?.state, "started");
  curl([`${URL}?rid=${rid1}`]);
  checks = await api(`${hub.url}/api/v1/checks`);
  assert.equal(checks.body.find((x) => x.uuid === created.body.uuid)?.state, "up");
  // a body longer than the limit is cut
  curl(["--data-binary", "y".repeat(20_000), `${URL}/log`]);
  checks = await api(`${hub.url}/api/v1/checks`);
  assert.equal(checks.body.find((x) => x.uuid === created.body.uuid)?.last_body.length, 10_000);
});

test("a check that misses its period + grace alerts once, naming it; /fail alerts at once; a ping brings it back", {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t);
  const hook = await webhookServer(t);
  const hub = await startHub(
    t,
    hubConfig(
      dir,
      `checks: [{ slug: nightly-backup, name: Nightly backup, period: 2s, grace: 1s }, { slug: rsync, period: 1h }]
notify:
  min_level: info
  channels: [{ type: webhook, url: "${hook.url}/hook" }]
  outbox: { backoff_initial: 100ms, backoff_max: 500ms }`,
    ),
  );
  const nightly = `${hub.url}/ping/${hub.pingKey}/nightly-backup`;
  assert.equal((await fetch(nightly)).status, 200);
  const downs = (name: string) =>
    hook.accepted.filter(
      (r) => r.json.alert?.rule === "check_down" && r.json.alert?.state === "firing" && r.json.message.includes(name),
    );
  await waitFor("the missed check's alert", () => downs("Nightly backup").length === 1);
  assert.match(downs("Nightly backup")[0]?.json.message, /check Nightly backup is down: no ping for \d+ s/);
  const metrics = await api(`${hub.url}/metrics`);
  assert.match(metrics.text, /edgewatch_check_up\{check="nightly-backup",name="Nightly backup"\} 0/);
  await new Promise((r) => setTimeout(r, 4000));
  assert.equal(downs("Nightly backup").length, 1, "alerted once, not once per period");
  assert.equal((await fetch(nightly)).status, 200);
  await waitFor("the up notification", () =>
    hook.accepted.some((r) => r.json.alert?.rule === "check_down" && r.json.alert?.state === "resolved"),
  );
  // a reported failure alerts at once, naming the check and the exit status
  assert.equal((await fetch(`${hub.url}/ping/${hub.pingKey}/rsync/3`)).status, 200);
  await waitFor("the failure alert", () => downs("rsync").length === 1);
  assert.match(downs("rsync")[0]?.json.message, /check rsync is down: it reported exit status 3/);
});
