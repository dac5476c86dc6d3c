import assert from "node:assert/strict";
import { test } from "node:test";
import { updateStatus } from "../../../src/protocol/fragment.ts";
import { get, until } from "../core/helpers.ts";
import { agentOn, decodeWriteRequest, labelsOf, receiver, scrape, sleep, workDir } from "./helpers.ts";

test("remote_write: strict payloads with the /metrics families, device/site and external labels, auth and the required headers", {
  timeout: 60_000,
}, async (t) => {
  const rx = await receiver(t);
  const dir = workDir(t);
  const a = await agentOn(t, dir, {
    exports: {
      remote_write: [
        {
          name: "mimir",
          url: `${rx.url}/api/v1/push`,
          interval: "1s",
          basic_auth: { username: "123456", password: "glc_secret" },
          headers: { "X-Scope-OrgID": "tenant-1" },
          external_labels: { cluster: "home", device: "not-this" },
        },
      ],
    },
  });
  await updateStatus("timelapse", { status: "capturing", today: { photos_captured: 31 } }, { dir: a.statusDir });
  await until("three writes", () => rx.got.length >= 3, 30_000);
  const metricsText = (await get(`${a.url}/metrics`)).body;
  const exposed = new Set(
    metricsText
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.slice(0, l.search(/[{ ]/))),
  );
  let photos: number | null = null;
  for (const r of rx.got) {
    assert.equal(r.url, "/api/v1/push");
    assert.equal(r.headers["content-encoding"], "snappy");
    assert.equal(r.headers["content-type"], "application/x-protobuf");
    assert.equal(r.headers["x-prometheus-remote-write-version"], "0.1.0");
    assert.match(String(r.headers["user-agent"]), /^edgewatch/);
    assert.equal(r.headers.authorization, `Basic ${Buffer.from("123456:glc_secret").toString("base64")}`);
    assert.equal(r.headers["x-scope-orgid"], "tenant-1");
    const series = decodeWriteRequest(r.body); // throws on any broken rule
    assert.ok(series.length > 5);
    const names = new Set(series.map((s) => labelsOf(s).__name__));
    for (const s of series) {
      const l = labelsOf(s);
      assert.equal(l.device, "pi-test", "the device label is the agent's, never an external label's");
      assert.equal(l.site, "lab");
      assert.equal(l.cluster, "home");
      assert.ok(Math.abs((s.samples[0] as [number, number])[0] - Date.now()) < 60_000);
      if (l.__name__ === "edgewatch_photos_captured_today") photos = (s.samples[0] as [number, number])[1];
    }
    for (const n of names) assert.ok(exposed.has(n as string), `${n} is sent but not on /metrics`);
  }
  assert.equal(photos, 31, "the value the writer set is in the payload");
  const lastNames = new Set(
    decodeWriteRequest((rx.got.at(-1) as { body: Buffer }).body).map((s) => labelsOf(s).__name__),
  );
  for (const n of ["edgewatch_up", "edgewatch_device_status", "edgewatch_export_sent_total"])
    assert.ok(lastNames.has(n), `${n} sent`);
});

test("remote_write: a receiver answering 400 is not retried (a sample goes at most twice: in its batch, then alone), one warning, samples counted as dropped", {
  timeout: 60_000,
}, async (t) => {
  const rx = await receiver(t, (_r, res) => {
    res.writeHead(400).end("out of bounds");
  });
  const a = await agentOn(t, workDir(t), {
    exports: { remote_write: [{ url: `${rx.url}/api/v1/write`, interval: "1s", queue: { backoff_initial: "100ms" } }] },
  });
  await until("four refused writes", () => rx.got.length >= 4, 30_000);
  await sleep(1500);
  const bodies = rx.got.map((r) => r.body.toString("base64"));
  assert.equal(new Set(bodies).size, bodies.length, "no refused request is sent again");
  const times = new Map<number, number>();
  for (const r of rx.got)
    for (const s of decodeWriteRequest(r.body))
      if (labelsOf(s).__name__ === "edgewatch_up") {
        const ts = (s.samples[0] as [number, number])[0];
        times.set(ts, (times.get(ts) ?? 0) + 1);
      }
  assert.ok(Math.max(...times.values()) <= 2, "a refused sample is tried at most twice");
  const warnings = a.logs.filter((l) => l.level === "warn" && /refused a batch/.test(l.msg));
  assert.equal(warnings.length, 1, JSON.stringify(a.logs));
  const text = (await get(`${a.url}/metrics`)).body;
  assert.ok((scrape(text, "edgewatch_export_dropped_total", { type: "remote_write" }) ?? 0) > 10);
  assert.ok((scrape(text, "edgewatch_export_failed_total", { type: "remote_write" }) ?? 0) >= 4);
  assert.equal(scrape(text, "edgewatch_export_queued", { type: "remote_write" }), 0);
});

test("remote_write: a receiver whose clock is 2 h behind never gets samples stamped ahead of it", {
  timeout: 60_000,
}, async (t) => {
  const lag = 2 * 3600_000;
  const rx = await receiver(t, (_r, res) => {
    res.writeHead(204, { date: new Date(Date.now() - lag).toUTCString() }).end();
  });
  await agentOn(t, workDir(t), {
    exports: { remote_write: [{ url: `${rx.url}/api/v1/write`, interval: "1s" }] },
  });
  await until("three writes", () => rx.got.length >= 3, 30_000);
  for (const r of rx.got) {
    for (const s of decodeWriteRequest(r.body)) {
      const ts = (s.samples[0] as [number, number])[0];
      assert.ok(ts < Date.now() - lag + 5 * 60_000, `sample at ${new Date(ts).toISOString()} is ahead of the receiver`);
    }
  }
});

test("remote_write: 503 and 429 are retried with backoff until accepted; nothing lost, nothing accepted twice", {
  timeout: 60_000,
}, async (t) => {
  let refusals = 0;
  const accepted: Buffer[] = [];
  const rx = await receiver(t, (r, res) => {
    if (r.method === "POST" && refusals < 4) {
      refusals++;
      res.writeHead(refusals % 2 ? 503 : 429, refusals % 2 ? {} : { "retry-after": "1" }).end("busy");
      return;
    }
    if (r.method === "POST") accepted.push(r.body);
    res.writeHead(204).end();
  });
  const a = await agentOn(t, workDir(t), {
    exports: { remote_write: [{ url: `${rx.url}/api/v1/write`, interval: "1s", queue: { backoff_initial: "300ms" } }] },
  });
  await until("writes accepted after the refusals", () => accepted.length >= 3, 30_000);
  const ts: number[] = [];
  for (const body of accepted)
    for (const s of decodeWriteRequest(body))
      if (labelsOf(s).__name__ === "edgewatch_up") ts.push((s.samples[0] as [number, number])[0]);
  assert.equal(new Set(ts).size, ts.length, "no sample accepted twice");
  assert.ok(ts.length >= 4, `the samplings taken while refused arrive too, got ${ts.length}`);
  for (let i = 1; i < ts.length; i++) assert.ok((ts[i] as number) > (ts[i - 1] as number), "in order");
  const text = (await get(`${a.url}/metrics`)).body;
  assert.equal(scrape(text, "edgewatch_export_failed_total", { type: "remote_write" }), 4);
  assert.equal(scrape(text, "edgewatch_export_dropped_total", { type: "remote_write" }), 0, "nothing given up on");
});
