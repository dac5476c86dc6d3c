// Must-show: a real hub and three real agents on loopback; a SIGKILLed agent is reported down once and
// up once; a stopped hub loses nothing and declares nobody down.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { webhookServer } from "../agent/notify/contracts.ts";
import { tempDir } from "../helpers/tools.ts";
import { type Agent, agentConfig, api, devices, hubConfig, startAgent, startHub, waitFor } from "./helpers.ts";

test("hub + 3 agents: SIGKILL one → one down; restart → one up; hub stopped → no gap, no false down", {
  timeout: 300_000,
}, async (t) => {
  const dir = tempDir(t, "ew-fleet-");
  const hook = await webhookServer(t);
  const cfg = hubConfig(
    join(dir, "hub"),
    `offline_after: 3s
retention: [{ step: 1s, keep: 1h }, { step: 1m, keep: 2d }]
notify:
  min_level: info
  channels: [{ type: webhook, url: "${hook.url}/hook" }]
  outbox: { backoff_initial: 100ms, backoff_max: 500ms, summary_after: 1000 }`,
  );
  let hub = await startHub(t, cfg);
  const agents: Agent[] = [];
  for (const [id, site] of [
    ["cam-1", "gym"],
    ["cam-2", "gym"],
    ["cam-3", "roof"],
  ] as const) {
    const d = join(dir, id);
    agentConfig(d, id, site, hub.url);
    agents.push(await startAgent(t, d, id));
  }
  await waitFor("three devices up", async () => (await devices(hub.url)).filter((d) => d.state === "up").length === 3);
  const list = await devices(hub.url);
  assert.deepEqual(
    list.map((d) => [d.id, d.site, d.tags]),
    [
      ["cam-1", "gym", ["test"]],
      ["cam-2", "gym", ["test"]],
      ["cam-3", "roof", ["test"]],
    ],
  );

  // SIGKILL cam-2: exactly one "down" notification naming the device, its site and its last status
  const victim = agents[1] as Agent;
  await victim.kill("SIGKILL");
  const downs = () =>
    hook.accepted.filter((r) => r.json.alert?.rule === "device_down" && r.json.alert?.state === "firing");
  await waitFor("a down notification for cam-2", () => downs().length === 1);
  const down = downs()[0]?.json;
  assert.equal(down.device_id, "cam-2");
  assert.equal(down.site, "gym");
  assert.match(down.message, /cam-2 \(site gym\) is down: no push for \d+ s; last status: /);
  assert.equal((await devices(hub.url)).find((d) => d.id === "cam-2")?.state, "down");
  assert.equal(
    (await devices(hub.url)).find((d) => d.id === "cam-1")?.state,
    "up",
    "its site neighbour is still up: no site alert",
  );

  // restart it: exactly one "up"
  agents[1] = await startAgent(t, victim.dir, "cam-2");
  const ups = () =>
    hook.accepted.filter((r) => r.json.alert?.rule === "device_down" && r.json.alert?.state === "resolved");
  await waitFor("an up notification for cam-2", () => ups().length === 1);
  assert.match(ups()[0]?.json.message, /cam-2 \(site gym\) is up again after/);

  // stop the hub while the agents keep sampling; restart it on the same port
  const stoppedAt = Date.now();
  await hub.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 60_000)); // about a minute, as agents keep sampling every second
  const restartedAt = Date.now();
  hub = await startHub(t, cfg, hub.port);
  await waitFor("the queued batches arrive", async () => {
    const d = await devices(hub.url);
    return d.length === 3 && d.every((x) => x.state === "up" && Date.parse(x.last_seen ?? "") > restartedAt);
  });
  // no gap: every second of the outage has a sample, for every agent (1 s rollup tier), once the backlog is in
  const outage = async (id: string) => {
    const from = stoppedAt - 2000;
    const h = await api<{ points: { t: string }[] }>(
      `${hub.url}/api/v1/devices/${id}/history?from=${from}&to=${restartedAt}&step=1s`,
    );
    assert.equal(h.status, 200, h.text);
    const ts = h.body.points.map((p) => Date.parse(p.t));
    let gap = ts.length ? (ts[0] as number) - from : Number.POSITIVE_INFINITY;
    for (let i = 1; i < ts.length; i++) gap = Math.max(gap, (ts[i] as number) - (ts[i - 1] as number));
    gap = Math.max(gap, restartedAt - (ts.at(-1) ?? 0));
    return { n: ts.length, gap };
  };
  for (const id of ["cam-1", "cam-2", "cam-3"]) {
    const r = await waitFor(`${id}'s samples of the outage`, async () => {
      const o = await outage(id);
      return o.gap <= 3000 ? o : null;
    }).catch(async (err) => assert.fail(`${(err as Error).message}; history: ${JSON.stringify(await outage(id))}`));
    assert.ok(r && r.n >= 10, `${id}: ${r?.n} samples over the outage`);
  }
  // give the restarted hub a full offline_after and more: still nobody down, no new down notification
  await new Promise((r) => setTimeout(r, 5_000));
  assert.equal(
    downs().length,
    1,
    `no false down after the hub restart: ${JSON.stringify(downs().map((r) => r.json.message))}`,
  );
  assert.ok((await devices(hub.url)).every((d) => d.state === "up"));
  const firing = await api<unknown[]>(`${hub.url}/api/v1/alerts?state=firing`);
  assert.deepEqual(firing.body, []);
});
