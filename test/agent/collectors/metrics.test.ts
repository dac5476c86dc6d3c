import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cameraCollector } from "../../../src/agent/collectors/camera.ts";
import { rpiPowerCollector } from "../../../src/agent/collectors/rpi_power.ts";
import { CollectorRunner } from "../../../src/agent/collectors/runner.ts";
import { scheduleCollector } from "../../../src/agent/collectors/schedule.ts";
import { systemCollector } from "../../../src/agent/collectors/system.ts";
import { thermalCollector } from "../../../src/agent/collectors/thermal.ts";
import type { Collector } from "../../../src/agent/collectors/types.ts";
import { renderMetrics } from "../../../src/agent/metrics/render.ts";
import type { MetricFamily } from "../../../src/agent/module.ts";
import { DeviceState } from "../../../src/agent/state.ts";
import { requireTool, tempDir, waitFor } from "../../helpers/tools.ts";
import { agentContext, collectOnce, config, FIXTURES } from "./helpers.ts";

const GOLDEN = join(FIXTURES, "collectors.golden.prom");
const BASE = { device: "pi-test", site: "roof" };
// The golden file holds absolute timestamps: pin the zone so it reads the same everywhere.
process.env.TZ = "UTC";
/** 2026-02-08 14:05 (UTC, see above). */
const NOW = new Date(2026, 1, 8, 14, 5, 0).getTime();

function promtoolCheck(bin: string, text: string): { status: number | null; out: string } {
  const r = spawnSync(bin, ["check", "metrics"], { input: text, encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test("collectors' metric families from fixture trees match the golden exposition, and promtool accepts it", async (t) => {
  const proc = join(tempDir(t), "proc");
  mkdirSync(proc);
  for (const f of ["stat", "meminfo", "uptime", "loadavg"])
    copyFileSync(join(FIXTURES, "proc-this-machine", f), join(proc, f));
  const cfg = config({ proc_root: proc, sys_root: join(FIXTURES, "pi4-undervolt", "sys"), system: { mounts: [] } });
  const state = new DeviceState();
  await state.setDocument({
    status: "capturing",
    today: {
      date: "2026-02-08",
      photos_captured: 342,
      expected_photos: 750,
      start_time: "07:15:00",
      end_time: "17:30:00",
      interval_seconds: 45,
    },
    last_capture: { time: new Date(NOW - 60_000).toISOString(), success: true },
  });
  const families: MetricFamily[] = [];
  const add = async (c: Collector | null, runs = 1) => {
    assert.ok(c);
    c.attach?.({ config: cfg, state, now: () => NOW, procRoot: proc, sysRoot: cfg.collectors.sys_root });
    let data = await collectOnce(c, cfg, state, () => NOW);
    if (runs > 1) {
      copyFileSync(join(FIXTURES, "proc-this-machine", "stat.later"), join(proc, "stat"));
      data = await collectOnce(c, cfg, state, () => NOW);
    }
    families.push(...(c.metrics?.(data) ?? []));
  };
  await add(systemCollector(cfg), 2);
  await add(thermalCollector(cfg));
  await add(rpiPowerCollector(cfg));
  await add(cameraCollector(cfg));
  await add(scheduleCollector(cfg));
  const text = renderMetrics(families, BASE, "prometheus", (p) => assert.fail(`${p.family}: ${p.reason}`));
  // Regenerate deliberately with UPDATE_GOLDEN=1, then review the diff.
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(GOLDEN, text);
  assert.equal(text, readFileSync(GOLDEN, "utf8"));
  for (const name of [
    "edgewatch_cpu_usage_ratio",
    "edgewatch_memory_usage_ratio",
    "edgewatch_load1",
    "edgewatch_uptime_seconds",
    "edgewatch_cpu_temperature_celsius",
    "edgewatch_rpi_throttled",
    "edgewatch_photos_captured_today",
    "edgewatch_photos_expected_today",
    "edgewatch_last_capture_timestamp_seconds",
    "edgewatch_camera_health_score",
    "edgewatch_capture_stalled",
  ]) {
    assert.match(text, new RegExp(`^# TYPE ${name} gauge$`, "m"), name);
  }
  const bin = requireTool(t, "promtool", "prometheus");
  if (!bin) return;
  const r = promtoolCheck(bin, text);
  assert.equal(r.status, 0, r.out);
  assert.equal(r.out.trim(), "");
});

test("the collectors module's full /metrics share (with per-collector success/duration) passes promtool in both formats", async (t) => {
  const disk = tempDir(t);
  const cfg = config({
    proc_root: join(FIXTURES, "proc-this-machine"),
    sys_root: join(FIXTURES, "pi4-healthy", "sys"),
    system: { mounts: ["/", disk] },
  });
  const runner = new CollectorRunner(cfg);
  runner.start(agentContext(cfg, tempDir(t)));
  t.after(() => runner.stop());
  await waitFor("every collector's first run", () => runner.snapshot().every((s) => s.last?.ok), 30_000);
  const families = runner.metrics();
  const names = families.map((f) => f.name);
  for (const n of [
    "edgewatch_collector_success",
    "edgewatch_collector_duration_seconds",
    "edgewatch_disk_free_bytes",
    "edgewatch_disk_usage_ratio",
    "edgewatch_rpi_throttled",
  ]) {
    assert.ok(names.includes(n), n);
  }
  const success = families.find((f) => f.name === "edgewatch_collector_success");
  assert.deepEqual(
    success?.samples.map((s) => s.labels?.collector),
    ["system", "thermal", "rpi_power", "camera", "schedule"],
  );
  const free = families.find((f) => f.name === "edgewatch_disk_free_bytes");
  assert.deepEqual(
    free?.samples.map((s) => s.labels?.mount),
    ["/", disk],
  );
  const bin = requireTool(t, "promtool", "prometheus");
  if (!bin) return;
  for (const format of ["prometheus", "openmetrics"] as const) {
    const text = renderMetrics(families, BASE, format, (p) => assert.fail(`${p.family}: ${p.reason}`));
    if (format === "openmetrics") {
      assert.ok(text.endsWith("# EOF\n"));
      continue; // promtool check metrics does not understand OpenMetrics
    }
    const r = promtoolCheck(bin, text);
    assert.equal(r.status, 0, r.out);
    assert.equal(r.out.trim(), "");
  }
});
