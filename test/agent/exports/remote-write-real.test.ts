import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
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
  (await import("node:fs")).writeFileSync(cfg, "global:\n  scrape_interval: 1m\n");
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

test("remote_write into the real VictoriaMetrics: stopped a minute (and the agent restarted meanwhile), every outage sample arrives once", {
  timeout: 300_000,
}, async (t) => {
  const vm = requireTool(t, "victoria-metrics", "victoria-metrics");
  if (!vm) return;
  const dir = workDir(t);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const args = [`-storageDataPath=${join(dir, "vm")}`, `-httpListenAddr=127.0.0.1:${port}`, "-loggerLevel=ERROR"];
  let v = daemon(t, vm, args);
  await until(
    `VictoriaMetrics up (${v.stderr()})`,
    async () => (await get(`${base}/health`).catch(() => null))?.status === 200,
    60_000,
  );
  const input = {
    exports: {
      remote_write: [
        { url: `${base}/api/v1/write`, interval: "2s", queue: { backoff_initial: "1s", backoff_max: "4s" } },
      ],
    },
  };
  let a = await agentOn(t, dir, input);
  await until(
    "first samples sent",
    async () => (scrape((await get(`${a.url}/metrics`)).body, "edgewatch_export_sent_total") ?? 0) > 0,
    30_000,
  );

  await v.stop();
  const outageStart = Date.now();
  await sleep(30_000);
  await a.stop(); // a restart in the middle of the outage: the queue must survive it
  a = await agentOn(t, dir, input);
  await sleep(30_000);
  const outageEnd = Date.now();
  v = daemon(t, vm, args);
  await until(
    "the queue to drain into the restarted VictoriaMetrics",
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
  const match = encodeURIComponent('edgewatch_up{device="pi-test"}');
  const lines = (await get(`${base}/api/v1/export?match[]=${match}`)).body.trim().split("\n");
  assert.equal(lines.length, 1, "one edgewatch_up series");
  const { timestamps } = JSON.parse(lines[0] as string) as { timestamps: number[] };
  const ts = [...timestamps].sort((x, y) => x - y);
  assert.equal(new Set(ts).size, ts.length, "no sample stored twice");
  const during = ts.filter((x) => x > outageStart && x < outageEnd);
  // One sample every 2 s for 60 s, less the agent's restart.
  assert.ok(during.length >= 25, `expected ~30 samples from the outage, got ${during.length}`);
  for (let i = 1; i < ts.length; i++) {
    const gap = (ts[i] as number) - (ts[i - 1] as number);
    assert.ok(gap < 8000, `a ${gap} ms hole at ${new Date(ts[i - 1] as number).toISOString()}`);
  }
  t.diagnostic(`outage samples delivered: ${during.length}`);
});
