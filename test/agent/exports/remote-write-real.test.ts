import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { updateStatus } from "../../../src/protocol/fragment.ts";
import { requireTool } from "../../helpers/tools.ts";
import { get, until } from "../core/helpers.ts";
import { agentOn, daemon, freePort, scrape, sleep, workDir } from "./helpers.ts";

test("remote_write into the real Prometheus: the value a writer set is queryable with the device label", {
  timeout: 180_000,
}, async (t) => {
  const prometheus = requireTool(t, "prometheus");
  if (!prometheus) return;
  const dir = workDir(t);
  const port = await freePort();
  const cfg = join(dir, "prometheus.yml");
  writeFileSync(cfg, "global:\n  scrape_interval: 1m\n");
  const p = daemon(t, prometheus, [
    `--config.file=${cfg}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--storage.tsdb.path=${join(dir, "tsdb")}`,
    "--web.enable-remote-write-receiver",
    "--log.level=warn",
  ]);
  const base = `http://127.0.0.1:${port}`;
  await until(
    `Prometheus ready (${p.stderr()})`,
    async () => (await get(`${base}/-/ready`).catch(() => null))?.status === 200,
    60_000,
  );
  const a = await agentOn(t, dir, {
    exports: { remote_write: [{ url: `${base}/api/v1/write`, interval: "1s" }] },
  });
  await updateStatus("timelapse", { status: "capturing", today: { photos_captured: 4242 } }, { dir: a.statusDir });
  const q = encodeURIComponent('edgewatch_photos_captured_today{device="pi-test",site="lab"}');
  await until(
    `Prometheus to return 4242 (prometheus: ${p.stderr()})`,
    async () => {
      const r = (await get(`${base}/api/v1/query?query=${q}`)).json<{
        data: { result: { value: [number, string] }[] };
      }>();
      return r.data.result[0]?.value[1] === "4242";
    },
    90_000,
  );
  const text = (await get(`${a.url}/metrics`)).body;
  assert.equal(
    scrape(text, "edgewatch_export_dropped_total", { type: "remote_write" }),
    0,
    "Prometheus refused nothing",
  );
});

interface Receiver {
  /** Start (or start again, on the same port and storage) and wait until it answers. */
  start(): Promise<{ stop(): Promise<void> }>;
  writeUrl: string;
  /** Timestamps of the raw edgewatch_up samples stored for the test device. */
  timestamps(): Promise<number[]>;
}

async function victoria(t: TestContext, bin: string, dir: string): Promise<Receiver> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const args = [`-storageDataPath=${join(dir, "vm")}`, `-httpListenAddr=127.0.0.1:${port}`, "-loggerLevel=ERROR"];
  return {
    writeUrl: `${base}/api/v1/write`,
    async start() {
      const d = daemon(t, bin, args);
      await until(
        `VictoriaMetrics up (${d.stderr()})`,
        async () => (await get(`${base}/health`).catch(() => null))?.status === 200,
        60_000,
      );
      return d;
    },
    async timestamps() {
      const match = encodeURIComponent('edgewatch_up{device="pi-test"}');
      const lines = (await get(`${base}/api/v1/export?match[]=${match}`)).body.trim().split("\n");
      assert.equal(lines.length, 1, "one edgewatch_up series");
      return (JSON.parse(lines[0] as string) as { timestamps: number[] }).timestamps;
    },
  };
}

async function prometheusReceiver(t: TestContext, bin: string, dir: string): Promise<Receiver> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, "prometheus.yml"), "global:\n  scrape_interval: 1m\n");
  const args = [
    `--config.file=${join(dir, "prometheus.yml")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--storage.tsdb.path=${join(dir, "tsdb")}`,
    "--web.enable-remote-write-receiver",
    "--log.level=error",
  ];
  return {
    writeUrl: `${base}/api/v1/write`,
    async start() {
      const d = daemon(t, bin, args);
      await until(
        `Prometheus ready (${d.stderr()})`,
        async () => (await get(`${base}/-/ready`).catch(() => null))?.status === 200,
        60_000,
      );
      return d;
    },
    async timestamps() {
      // A range selector returns the raw samples stored.
      const q = encodeURIComponent('edgewatch_up{device="pi-test"}[30m]');
      const r = (await get(`${base}/api/v1/query?query=${q}`)).json<{
        data: { result: { values: [number, string][] }[] };
      }>();
      assert.equal(r.data.result.length, 1, "one edgewatch_up series");
      return (r.data.result[0]?.values ?? []).map(([ts]) => Math.round(ts * 1000));
    },
  };
}

/** Receiver stopped a minute (the agent restarted meanwhile): every outage sample arrives, once. */
async function outage(t: TestContext, rx: Receiver, dir: string): Promise<void> {
  let r = await rx.start();
  const input = {
    exports: {
      remote_write: [{ url: rx.writeUrl, interval: "2s", queue: { backoff_initial: "1s", backoff_max: "4s" } }],
    },
  };
  let a = await agentOn(t, dir, input);
  await until(
    "first samples sent",
    async () => (scrape((await get(`${a.url}/metrics`)).body, "edgewatch_export_sent_total") ?? 0) > 0,
    30_000,
  );
  await r.stop();
  const outageStart = Date.now();
  await sleep(30_000);
  await a.stop(); // a restart in the middle of the outage: the queue must survive it
  a = await agentOn(t, dir, input);
  await sleep(30_000);
  const outageEnd = Date.now();
  r = await rx.start();
  await until(
    "the queue to drain into the restarted receiver",
    async () => {
      const text = (await get(`${a.url}/metrics`)).body;
      return (
        scrape(text, "edgewatch_export_queued") === 0 &&
        (scrape(text, "edgewatch_export_last_success_timestamp_seconds") ?? 0) * 1000 > outageEnd
      );
    },
    120_000,
  );
  await sleep(2000);
  const text = (await get(`${a.url}/metrics`)).body;
  assert.equal(scrape(text, "edgewatch_export_dropped_total"), 0, "the receiver refused nothing");
  const ts = [...(await rx.timestamps())].sort((x, y) => x - y);
  assert.equal(new Set(ts).size, ts.length, "no sample stored twice");
  const during = ts.filter((x) => x > outageStart && x < outageEnd);
  // One sample every 2 s for 60 s, less the agent's restart.
  assert.ok(during.length >= 20, `expected ~30 samples from the outage, got ${during.length}`);
  for (let i = 1; i < ts.length; i++) {
    const gap = (ts[i] as number) - (ts[i - 1] as number);
    assert.ok(gap < 12_000, `a ${gap} ms hole at ${new Date(ts[i - 1] as number).toISOString()}`);
  }
  t.diagnostic(`outage samples delivered: ${during.length}`);
}

test("remote_write into the real VictoriaMetrics: stopped a minute (and the agent restarted meanwhile), every outage sample arrives once", {
  timeout: 300_000,
}, async (t) => {
  const vm = requireTool(t, "victoria-metrics", "victoria-metrics");
  if (!vm) return;
  const dir = workDir(t);
  await outage(t, await victoria(t, vm, dir), dir);
});

test("remote_write into the real Prometheus: stopped a minute (and the agent restarted meanwhile), every outage sample arrives", {
  timeout: 300_000,
}, async (t) => {
  const prometheus = requireTool(t, "prometheus");
  if (!prometheus) return;
  const dir = workDir(t);
  await outage(t, await prometheusReceiver(t, prometheus, dir), dir);
});
