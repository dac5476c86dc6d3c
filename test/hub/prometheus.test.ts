// Real Prometheus (Debian) discovers the devices through the hub's /sd and scrapes each through it.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { requireTool, tempDir } from "../helpers/tools.ts";
import {
  type Agent,
  agentConfig,
  api,
  devices,
  freePort,
  hubConfig,
  startAgent,
  startHub,
  waitFor,
} from "./helpers.ts";

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

test("Prometheus with http_sd_configs on the hub scrapes every device; a killed device's up becomes 0", {
  timeout: 300_000,
}, async (t) => {
  const prometheus = requireTool(t, "prometheus");
  const promtool = requireTool(t, "promtool", "prometheus");
  if (!prometheus || !promtool) return;
  const dir = tempDir(t, "ew-hubprom-");
  const hub = await startHub(t, hubConfig(join(dir, "hub"), "offline_after: 3s"));
  const agents: Agent[] = [];
  for (const id of ["cam-1", "cam-2"]) {
    agentConfig(join(dir, id), id, "gym", hub.url);
    agents.push(await startAgent(t, join(dir, id), id));
  }
  await waitFor("both devices up", async () => (await devices(hub.url)).filter((d) => d.state === "up").length === 2);

  // /sd: http_sd format, devices only, labels device and site, the hub path
  const sd = await api<{ targets: string[]; labels: Record<string, string> }[]>(`${hub.url}/sd`);
  assert.equal(sd.status, 200);
  assert.match(sd.headers.get("content-type") ?? "", /^application\/json/);
  assert.deepEqual(
    sd.body.map((g) => g.labels),
    [
      { device: "cam-1", site: "gym", __metrics_path__: "/devices/cam-1/metrics" },
      { device: "cam-2", site: "gym", __metrics_path__: "/devices/cam-2/metrics" },
    ],
  );
  // the hub's own /metrics passes promtool
  const own = await api(`${hub.url}/metrics`);
  const lint = spawnSync(promtool, ["check", "metrics"], { input: own.text, encoding: "utf8" });
  assert.equal(lint.status, 0, lint.stdout + lint.stderr);
  assert.match(own.text, /edgewatch_device_up\{device="cam-1",site="gym"\} 1/);
  assert.match(own.text, /edgewatch_device_last_seen_timestamp_seconds\{device="cam-2",site="gym"\} \d+/);

  const port = await freePort();
  const cfg = join(dir, "prometheus.yml");
  writeFileSync(
    cfg,
    `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: devices
    scrape_interval: 1s
    http_sd_configs: [{ url: "${hub.url}/sd", refresh_interval: 1s }]
`,
  );
  const proc: ChildProcess = spawn(
    prometheus,
    [
      `--config.file=${cfg}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      "--log.level=warn",
    ],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  proc.stderr?.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  t.after(() => {
    proc.kill("SIGTERM");
  });
  const query = async (q: string) => {
    const r = await api<{ data: { result: PromResult[] } }>(
      `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`,
    );
    return r.body.data?.result ?? [];
  };
  await waitFor(
    `Prometheus scrapes both devices through the hub (stderr: ${stderr})`,
    async () => (await query('up{job="devices"}')).filter((r) => r.value[1] === "1").length === 2,
    120_000,
  );
  // the device's own series arrive with its labels
  const series = await query('edgewatch_up{job="devices"}');
  assert.deepEqual(series.map((r) => r.metric.device).sort(), ["cam-1", "cam-2"]);
  assert.ok(series.every((r) => r.metric.site === "gym"));

  await (agents[1] as Agent).kill("SIGKILL");
  await waitFor(
    "cam-2 down at the hub",
    async () => (await devices(hub.url)).find((d) => d.id === "cam-2")?.state === "down",
  );
  assert.equal((await api(`${hub.url}/devices/cam-2/metrics`)).status, 503);
  await waitFor(
    "up{device=cam-2} = 0 in Prometheus",
    async () => {
      const up = await query('up{job="devices"}');
      return (
        up.find((r) => r.metric.device === "cam-2")?.value[1] === "0" &&
        up.find((r) => r.metric.device === "cam-1")?.value[1] === "1"
      );
    },
    60_000,
  );
});
