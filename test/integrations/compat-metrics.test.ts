import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, utimesSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { COMPAT } from "../../src/agent/metrics/compat/index.ts";
import { COMPAT_SETS } from "../../src/agent/metrics/config.ts";
import { updateStatus } from "../../src/protocol/fragment.ts";
import { get, startTestAgent, until } from "../agent/core/helpers.ts";
import { requireTool, tempDir } from "../helpers/tools.ts";
import { fakeSys } from "./helpers.ts";

/** The only promlint findings allowed: names that existing dashboards and alert rules already use. */
export const EXPECTED_LINT = [
  "node_memory_MemAvailable_bytes metric names should be written in 'snake_case' not 'camelCase'",
  "node_memory_MemTotal_bytes metric names should be written in 'snake_case' not 'camelCase'",
  "node_memory_SwapFree_bytes metric names should be written in 'snake_case' not 'camelCase'",
  "node_memory_SwapTotal_bytes metric names should be written in 'snake_case' not 'camelCase'",
  'recorder_videos_total non-counter metrics should not have "_total" suffix',
];

function sample(body: string, series: string): number | null {
  const line = body.split("\n").find((l) => l.startsWith(series));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : null;
}

test("every compat set in the config list has one file in src/agent/metrics/compat, and the other way round", () => {
  assert.deepEqual(
    COMPAT.map((c) => c.name),
    [...COMPAT_SETS],
  );
});

test("all compat sets on: promtool reports only the known naming warnings, every family has HELP and TYPE, values match the agent's own", async (t) => {
  const promtool = requireTool(t, "promtool", "prometheus");
  if (!promtool) return;
  const dir = tempDir(t, "ew-compat-");
  const a = await startTestAgent(t, {
    metrics: { compat: ["timelapse", "recorder", "node"] },
    collectors: { sys_root: fakeSys(dir, 81234) },
  });
  await updateStatus(
    "timelapse",
    { status: "capturing", today: { photos_captured: 342, expected_photos: 750 } },
    { dir: a.statusDir },
  );
  await updateStatus(
    "recorder",
    {
      state: "recording",
      upload_queue_size: 3,
      uptime_seconds: 1234,
      videos: { pending: 2, completed: 18, failed: 2, corrupted: 0 },
    },
    { dir: a.statusDir },
  );
  const body = await until("every compat family in /metrics", async () => {
    const r = (await get(`${a.url}/metrics`)).body;
    return /^node_hwmon_temp_celsius/m.test(r) &&
      /^recorder_videos_total/m.test(r) &&
      /^timelapse_photos_captured_today/m.test(r) &&
      /^node_load1/m.test(r)
      ? r
      : null;
  });

  const lint = spawnSync(promtool, ["check", "metrics"], { input: body, encoding: "utf8" });
  const found = `${lint.stdout}${lint.stderr}`.split("\n").filter(Boolean).sort();
  assert.deepEqual(found, [...EXPECTED_LINT].sort(), body);
  assert.equal(lint.status, 3, "exit 3: lint warnings only, no parse error");

  // Every sample belongs to a family announced by HELP and TYPE just before it.
  let help = "";
  let type = "";
  for (const line of body.split("\n").filter(Boolean)) {
    if (line.startsWith("# HELP ")) help = line.split(" ")[2] as string;
    else if (line.startsWith("# TYPE ")) type = line.split(" ")[2] as string;
    else {
      const name = line.slice(0, line.indexOf("{"));
      assert.equal(name, help, `HELP for ${line}`);
      assert.equal(name, type, `TYPE for ${line}`);
      assert.match(line, /\{device="pi-test",site="lab"[,}]/);
      const value = line.slice(line.lastIndexOf(" ") + 1);
      assert.doesNotMatch(value, /\.\d*(0{6,}|9{6,})\d$/, `float noise in ${line}`);
    }
  }

  const L = 'device="pi-test",site="lab"';
  assert.equal(sample(body, `node_hwmon_temp_celsius{${L},chip="thermal_thermal_zone0",sensor="temp1"}`), 81.234);
  assert.equal(sample(body, `node_thermal_zone_temp{${L},type="cpu-thermal",zone="0"}`), 81.234);
  assert.equal(sample(body, `timelapse_cpu_temperature_celsius{${L}}`), 81.234);
  const memTotal = Number(/^MemTotal:\s+(\d+) kB$/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1]) * 1024;
  assert.equal(sample(body, `node_memory_MemTotal_bytes{${L}}`), memTotal);
  const cpuLines = body.split("\n").filter((l) => l.startsWith("node_cpu_seconds_total{") && l.includes('mode="idle"'));
  assert.equal(cpuLines.length, cpus().length, "one idle series per CPU");
  const free = sample(body, `edgewatch_disk_free_bytes{${L},mount="/"}`);
  assert.ok(free && free > 0);
  assert.equal(sample(body, `recorder_disk_free_bytes{${L}}`), free);
  assert.equal(sample(body, `timelapse_disk_free_bytes{${L}}`), free);
  assert.equal(sample(body, `node_filesystem_avail_bytes{${L},fstype=`.slice(0, -1)) !== null, true);
  const ratio = sample(body, `edgewatch_disk_usage_ratio{${L},mount="/"}`) as number;
  assert.equal(sample(body, `timelapse_disk_usage_percent{${L}}`), Math.round(ratio * 10000) / 100);
  assert.equal(sample(body, `timelapse_photos_captured_today{${L}}`), 342);
  assert.equal(sample(body, `recorder_state{${L},state="recording"}`), 1);
  assert.equal(sample(body, `recorder_state{${L},state="ready"}`), 0);
  assert.equal(sample(body, `recorder_upload_success_rate{${L}}`), 0.9);
  assert.equal(sample(body, `recorder_upload_queue_size{${L}}`), 3);
  assert.equal(sample(body, `recorder_up{${L}}`), 1);

  // A program's own metric with a compat name replaces the computed one (and appears once).
  await updateStatus("recorder", { metrics: { recorder_upload_queue_size: 11 } }, { dir: a.statusDir });
  const replaced = await until("the program's recorder_upload_queue_size", async () => {
    const r = (await get(`${a.url}/metrics`)).body;
    return sample(r, `recorder_upload_queue_size{${L}}`) === 11 ? r : null;
  });
  assert.equal(replaced.match(/^# TYPE recorder_upload_queue_size /gm)?.length, 1);

  // recorder_up follows the compat source's heartbeat: an old fragment mtime means down.
  const old = new Date(Date.now() - 120_000);
  utimesSync(join(a.statusDir, "status.d", "recorder.json"), old, old);
  await updateStatus("timelapse", { today: { photos_captured: 343 } }, { dir: a.statusDir });
  await until("recorder_up 0 once the heartbeat is old", async () => {
    const r = (await get(`${a.url}/metrics`)).body;
    return sample(r, `recorder_up{${L}}`) === 0 && (sample(r, `recorder_heartbeat_age_seconds{${L}}`) ?? 0) >= 119;
  });
});

test("compat off (the default): no timelapse_, recorder_ or node_ names", async (t) => {
  const a = await startTestAgent(t);
  await updateStatus("recorder", { state: "ready" }, { dir: a.statusDir });
  const body = (await get(`${a.url}/metrics`)).body;
  assert.match(body, /^edgewatch_up/m);
  assert.doesNotMatch(body, /^(timelapse|recorder|node)_/m);
});
