import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { coreFamilies, documentFamilies } from "../../../src/agent/metrics/core.ts";
import { negotiateFormat, renderMetrics } from "../../../src/agent/metrics/render.ts";
import type { MetricFamily } from "../../../src/agent/module.ts";
import { updateStatus } from "../../../src/protocol/fragment.ts";
import { requireTool } from "../../helpers/tools.ts";
import { get, startTestAgent, until } from "./helpers.ts";

const FIXTURES = join(import.meta.dirname, "..", "fixtures");

/** Deterministic inputs: a fixed document, heartbeats, clock and one module family of each kind. */
function goldenFamilies(): MetricFamily[] {
  const now = Date.parse("2026-02-08T14:24:00Z");
  const document = {
    status: "capturing",
    today: { photos_captured: 342, expected_photos: 750 },
    last_capture: { time: "2026-02-08T14:23:45Z", success: true },
  };
  return [
    ...coreFamilies({
      document,
      heartbeats: new Map([
        ["scheduler", now - 3_600_000],
        ["timelapse", now - 15_000],
      ]),
      errorsCurrent: 2,
      quiet: false,
      readerWarnings: 1,
      version: "0.1.0",
      nodeVersion: "v20.0.0",
      now,
    }),
    {
      name: "edgewatch_collector_success",
      help: "1 when the collector's last run succeeded",
      type: "gauge",
      samples: [
        { labels: { collector: "system" }, value: 1 },
        { labels: { collector: "redis" }, value: 0 },
      ],
    },
    {
      name: "edgewatch_notifications_sent_total",
      help: 'Notifications delivered, by channel ("quoted" \\ and\nnewline)',
      type: "counter",
      samples: [{ labels: { channel: 'tele"gram\\' }, value: 7 }],
    },
    {
      name: "edgewatch_disk_free_bytes",
      help: "Bytes free",
      type: "gauge",
      unit: "bytes",
      samples: [{ labels: { mount: "/" }, value: 5.1e9 }],
    },
    ...documentFamilies(document),
  ];
}

const LABELS = { device: "Pi0Cam", site: "gym" };

test("golden /metrics: Prometheus text 0.0.4 and OpenMetrics renderings of fixed inputs", () => {
  const prom = renderMetrics(goldenFamilies(), LABELS, "prometheus");
  const om = renderMetrics(goldenFamilies(), LABELS, "openmetrics");
  if (process.env.UPDATE_GOLDEN) {
    writeFileSync(join(FIXTURES, "metrics.golden.prom"), prom);
    writeFileSync(join(FIXTURES, "metrics.golden.om"), om);
  }
  assert.equal(prom, readFileSync(join(FIXTURES, "metrics.golden.prom"), "utf8"));
  assert.equal(om, readFileSync(join(FIXTURES, "metrics.golden.om"), "utf8"));
  // facts the golden files must keep
  assert.ok(om.endsWith("# EOF\n"));
  assert.ok(!prom.includes("# EOF"));
  assert.match(
    om,
    /^# TYPE edgewatch_notifications_sent counter$/m,
    "OpenMetrics counter TYPE names the family without _total",
  );
  assert.match(prom, /^# TYPE edgewatch_notifications_sent_total counter$/m);
  assert.match(om, /^# UNIT edgewatch_disk_free_bytes bytes$/m);
  for (const line of prom.split("\n").filter((l) => l && !l.startsWith("#"))) {
    assert.match(line, /^[a-z_]+\{device="Pi0Cam",site="gym"[,}]/, `every series has device and site: ${line}`);
  }
});

test("promtool check metrics accepts the golden rendering with no output", (t) => {
  const promtool = requireTool(t, "promtool", "prometheus");
  if (!promtool) return;
  const r = spawnSync(promtool, ["check", "metrics"], { input: renderMetrics(goldenFamilies(), LABELS, "prometheus") });
  assert.equal(`${r.stdout}${r.stderr}`, "");
  assert.equal(r.status, 0);
});

test("renderer: duplicate families, invalid names and duplicate series are skipped and reported, never emitted", () => {
  const problems: string[] = [];
  const text = renderMetrics(
    [
      { name: "a_metric", help: "first", type: "gauge", samples: [{ value: 1 }, { value: 2 }] },
      { name: "a_metric", help: "second", type: "gauge", samples: [{ value: 3 }] },
      { name: "bad-name", help: "x", type: "gauge", samples: [{ value: 1 }] },
      { name: "b_metric", help: "x", type: "gauge", samples: [{ labels: { "bad-label": "v" }, value: 1 }] },
      { name: "c_metric", help: "x", type: "gauge", samples: [{ labels: { device: "spoof" }, value: Number.NaN }] },
    ],
    { device: "d", site: "s" },
    "prometheus",
    (p) => problems.push(`${p.family}: ${p.reason}`),
  );
  assert.equal(
    text,
    [
      "# HELP a_metric first",
      "# TYPE a_metric gauge",
      'a_metric{device="d",site="s"} 1',
      "# HELP b_metric x",
      "# TYPE b_metric gauge",
      "# HELP c_metric x",
      "# TYPE c_metric gauge",
      'c_metric{device="d",site="s"} NaN',
      "",
    ].join("\n"),
  );
  assert.deepEqual(problems, [
    "a_metric: duplicate series; the first one is kept",
    "a_metric: duplicate metric family; the first one is kept",
    "bad-name: invalid metric name",
    "b_metric: invalid label name; sample skipped",
  ]);
});

test("content negotiation follows the Accept header Prometheus sends", () => {
  assert.equal(
    negotiateFormat(
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    ),
    "openmetrics",
  );
  assert.equal(negotiateFormat("text/plain;version=0.0.4"), "prometheus");
  assert.equal(negotiateFormat(undefined), "prometheus");
  assert.equal(negotiateFormat("application/openmetrics-text;q=0"), "prometheus");
});

test("live /metrics: promtool accepts it with no output, OpenMetrics when asked, every series labelled, no family twice", async (t) => {
  const promtool = requireTool(t, "promtool", "prometheus");
  if (!promtool) return;
  const a = await startTestAgent(t);
  await updateStatus(
    "timelapse",
    {
      status: "capturing",
      today: { photos_captured: 5, expected_photos: 9 },
      last_capture: { time: new Date().toISOString() },
    },
    { dir: a.statusDir },
  );
  const prom = await until("photos in /metrics", async () => {
    const r = await get(`${a.url}/metrics`);
    return /^edgewatch_photos_captured_today\{[^}]*\} 5$/m.test(r.body) ? r : null;
  });
  assert.equal(prom.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  const check = spawnSync(promtool, ["check", "metrics"], { input: prom.body });
  assert.equal(`${check.stdout}${check.stderr}`, "", "promtool has no complaint");
  assert.equal(check.status, 0);
  const types = prom.body.match(/^# TYPE \S+/gm) ?? [];
  assert.equal(new Set(types).size, types.length, "no metric family appears twice");
  for (const line of prom.body.split("\n").filter((l) => l && !l.startsWith("#"))) {
    assert.match(line, /\{device="pi-test",site="lab"[,}]/, line);
  }
  for (const name of [
    "edgewatch_up",
    "edgewatch_heartbeat_age_seconds",
    "edgewatch_errors_current",
    "edgewatch_device_status",
    "edgewatch_build_info",
    "edgewatch_photos_expected_today",
    "edgewatch_last_capture_timestamp_seconds",
  ]) {
    assert.match(prom.body, new RegExp(`^# TYPE ${name} gauge$`, "m"), name);
  }
  const om = await get(`${a.url}/metrics`, { Accept: "application/openmetrics-text;version=1.0.0,text/plain;q=0.5" });
  assert.equal(om.headers["content-type"], "application/openmetrics-text; version=1.0.0; charset=utf-8");
  assert.ok(om.body.endsWith("# EOF\n"));
  assert.equal(om.body.match(/# EOF/g)?.length, 1);
});
