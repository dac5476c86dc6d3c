import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse, stringify } from "yaml";
import { emitEvent } from "../../src/protocol/events.ts";
import { updateStatus } from "../../src/protocol/fragment.ts";
import { get, startTestAgent, type TestAgent, until } from "../agent/core/helpers.ts";
import { startRedis } from "../helpers/redis.ts";
import { requireTool, tempDir } from "../helpers/tools.ts";
import { ENROLL_KEY, hubConfig, startHub } from "../hub/helpers.ts";
import { ew } from "../jobs/helpers.ts";
import { fakeSys, INTEGRATIONS, startPrometheus } from "./helpers.ts";

const PROM_DIR = join(INTEGRATIONS, "prometheus");
const GRAFANA_DIR = join(INTEGRATIONS, "grafana", "dashboards");

interface Target {
  expr: string;
}
interface Panel {
  title: string;
  type: string;
  datasource: { type: string; uid: string };
  targets: Target[];
}
const dashboard = (name: string) => JSON.parse(readFileSync(join(GRAFANA_DIR, name), "utf8")) as { panels: Panel[] };

test("real Prometheus with the shipped scrape configs and rules: every dashboard panel's query returns data, and the recorder alert expressions evaluate on the agent's series", {
  timeout: 300_000,
}, async (t) => {
  const prometheus = requireTool(t, "prometheus");
  const redisCli = requireTool(t, "redis-cli", "redis-tools");
  if (!prometheus || !redisCli) return;
  const redisPort = await startRedis(t);
  if (!redisPort) return;
  // An RQ queue with 12 waiting jobs and no worker.
  const rc = (...args: string[]) => spawnSync(redisCli, ["-p", String(redisPort), ...args], { encoding: "utf8" });
  rc("SADD", "rq:queues", "rq:queue:default");
  rc("RPUSH", "rq:queue:default", ...Array.from({ length: 12 }, (_, i) => `job-${i}`));

  const dir = tempDir(t, "ew-live-");
  const a = await startTestAgent(t, {
    device: { id: "pi-a", site: "gym" },
    metrics: { compat: ["timelapse", "recorder", "node"], compat_heartbeat_timeout: "5s" },
    collectors: { sys_root: fakeSys(join(dir, "a"), 81234) },
    jobs: { queues: { redis_url: `redis://127.0.0.1:${redisPort}`, interval: "1s" } },
  });
  // Two devices behind NAT: they push to a real hub, which Prometheus discovers them through (/sd) and
  // scrapes them from (/devices/<id>/metrics).
  const theHub = await startHub(t, hubConfig(join(dir, "hub")));
  const pushTo = { url: theHub.url, enroll_key: ENROLL_KEY, interval: "1s" };
  const b = await startTestAgent(t, {
    device: { id: "pi-b", site: "gym" },
    collectors: { sys_root: fakeSys(join(dir, "b"), 55000) },
    hub: pushTo,
  });
  const c = await startTestAgent(t, {
    device: { id: "cabin-1", site: "cabin" },
    collectors: { sys_root: fakeSys(join(dir, "c"), 61000) },
    hub: pushTo,
  });

  for (const x of [a, b, c]) {
    await updateStatus(
      "timelapse",
      { status: "capturing", today: { photos_captured: 300, expected_photos: 750 } },
      { dir: x.statusDir },
    );
    await emitEvent("timelapse", { level: "error", message: "capture retried" }, { dir: x.statusDir });
  }
  await updateStatus(
    "recorder",
    {
      state: "recording",
      upload_queue_size: 2,
      videos: { pending: 2, completed: 18, failed: 2, corrupted: 0 },
      // The recorder measures its own storage: a program's metric with a compat name replaces the computed one.
      metrics: { recorder_disk_free_bytes: 4.2e9 },
    },
    { dir: a.statusDir },
  );
  const dirs = ["--dir", a.statusDir, "--state-dir", a.stateDir];
  assert.equal(ew(["run", "--name", "upload", ...dirs, "--", "true"]).code, 0);

  // The shipped scrape configs, with what `edgewatch integrations print prometheus` fills in; the hub is
  // local (plain HTTP, no viewer token) and the intervals are shortened so the test takes seconds.
  const sdUrl = `${theHub.url}/sd`;
  const direct = parse(readFileSync(join(PROM_DIR, "scrape-direct.yml"), "utf8"));
  const hub = parse(readFileSync(join(PROM_DIR, "scrape-hub-sd.yml"), "utf8"));
  direct.global = { scrape_interval: "1s", evaluation_interval: "1s" };
  direct.scrape_configs[0].static_configs = [
    { targets: [new URL(a.url).host], labels: { device: "pi-a", site: "gym" } },
  ];
  const hubJob = hub.scrape_configs[0];
  hubJob.http_sd_configs = [{ url: sdUrl, refresh_interval: "1s" }];
  delete hubJob.scheme;
  delete hubJob.authorization;
  direct.scrape_configs.push(hubJob);
  delete direct.alerting;
  const promDir = tempDir(t, "ew-live-prom-");
  direct.rule_files = direct.rule_files.map((f: string) => {
    writeFileSync(join(promDir, f), readFileSync(join(PROM_DIR, f), "utf8").replace(/interval: 1m/g, "interval: 1s"));
    return join(promDir, f);
  });
  const prom = await startPrometheus(t, prometheus, promDir, stringify(direct));

  await until(
    `all three targets up (${prom.stderr()})`,
    async () => {
      const r = (await get(`${prom.base}/api/v1/targets`)).json<{
        data: { activeTargets: { health: string; lastError: string; labels: Record<string, string> }[] };
      }>();
      const up = r.data.activeTargets.filter((x) => x.health === "up" && x.lastError === "");
      return up.length === 3 ? up : null;
    },
    120_000,
  );
  // A second, failing run: the failure counter moves between two scrapes.
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(ew(["run", "--name", "upload", ...dirs, "--", "false"]).code, 1);

  const fill = (expr: string, vars: Record<string, string>) =>
    Object.entries(vars).reduce((e, [k, v]) => e.replaceAll(`$${k}`, v), expr);
  const checked: string[] = [];
  for (const [file, vars] of [
    ["edgewatch-device.json", { device: "pi-a", site: "gym" }],
    ["edgewatch-fleet.json", { site: ".+" }],
  ] as const) {
    for (const p of dashboard(file).panels) {
      if (p.datasource.type !== "prometheus") continue;
      for (const target of p.targets) {
        const q = fill(target.expr, vars);
        assert.doesNotMatch(q, /\$/, `${file} ${p.title}: a variable left unfilled in ${q}`);
        await until(`${file} "${p.title}": ${q} returns data`, async () => (await prom.query(q)).length > 0, 90_000);
        checked.push(`${p.title}: ${q}`);
      }
    }
  }
  t.diagnostic(`${checked.length} panel queries returned data`);
  // The fleet view sees all three devices through the http_sd job and the direct one.
  const fleet = await prom.query('up{job=~"edgewatch.*"}');
  assert.deepEqual(fleet.map((r) => `${r.metric.site}/${r.metric.device}`).sort(), [
    "cabin/cabin-1",
    "gym/pi-a",
    "gym/pi-b",
  ]);

  // The recorder deployment's own alert expressions, unchanged, against the agent's series.
  for (const expr of [
    "recorder_disk_free_bytes < 5e9",
    "recorder_upload_success_rate < 0.95",
    "node_hwmon_temp_celsius > 80",
    "recorder_up == 0",
  ]) {
    const r = await until(
      `${expr} on pi-a`,
      async () => {
        const res = await prom.query(expr);
        return res.length ? res : null;
      },
      60_000,
    );
    assert.deepEqual(
      r.map((x) => `${x.metric.device}/${x.metric.site}`),
      ["pi-a/gym"],
      expr,
    );
  }
  assert.equal(
    (await prom.query('node_hwmon_temp_celsius{chip="thermal_thermal_zone0",sensor="temp1"}'))[0]?.value[1],
    "81.234",
  );
});
