import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { INTEGRATIONS, ROOT } from "./helpers.ts";

// Grafana cannot run here: these checks follow Grafana's dashboard JSON model (docs "JSON model",
// schemaVersion 39 as Grafana 10.4/11 writes it) and its provisioning file formats.
const DIR = join(INTEGRATIONS, "grafana");
const CORE_PANELS = new Set([
  "stat",
  "gauge",
  "timeseries",
  "bargauge",
  "piechart",
  "table",
  "logs",
  "text",
  "state-timeline",
  "status-history",
  "barchart",
  "heatmap",
  "row",
]);

const datasources = (
  parse(readFileSync(join(DIR, "provisioning", "datasources", "edgewatch.yml"), "utf8")) as {
    apiVersion: number;
    datasources: { uid: string; type: string; url: string }[];
  }
).datasources;
const dsType = new Map(datasources.map((d) => [d.uid, d.type]));
const files = readdirSync(join(DIR, "dashboards")).filter((f) => f.endsWith(".json"));

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: { type: string; uid: string };
  targets: { refId: string; expr: string; datasource: { type: string; uid: string } }[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  version: number;
  time: { from: string; to: string };
  templating: {
    list: { name: string; type: string; datasource: { uid: string; type: string }; query: { query: string } }[];
  };
  panels: Panel[];
}
const load = (f: string) => JSON.parse(readFileSync(join(DIR, "dashboards", f), "utf8")) as Dashboard;

test("provisioning: Prometheus and Loki datasources with fixed uids, one dashboards folder", () => {
  assert.deepEqual(
    datasources.map((d) => `${d.type}:${d.uid}`),
    ["prometheus:edgewatch-prometheus", "loki:edgewatch-loki"],
  );
  const dash = parse(readFileSync(join(DIR, "provisioning", "dashboards", "edgewatch.yml"), "utf8"));
  assert.equal(dash.apiVersion, 1);
  assert.equal(dash.providers[0].type, "file");
  assert.equal(dash.providers[0].folder, "edgewatch");
  assert.match(dash.providers[0].options.path, /^\//);
});

for (const f of files) {
  test(`${f}: Grafana's dashboard JSON model — schema version, panel types, grid, datasources by uid, variables`, () => {
    const d = load(f);
    assert.match(d.uid, /^[a-zA-Z0-9_-]{1,40}$/);
    assert.ok(d.title);
    assert.ok(
      Number.isInteger(d.schemaVersion) && d.schemaVersion >= 36 && d.schemaVersion <= 41,
      `schemaVersion ${d.schemaVersion}`,
    );
    assert.ok(Number.isInteger(d.version));
    assert.match(d.time.from, /^now-/);
    const vars = new Set(d.templating.list.map((v) => v.name));
    for (const v of d.templating.list) {
      assert.equal(v.type, "query", v.name);
      assert.equal(
        dsType.get(v.datasource.uid),
        v.datasource.type,
        `variable ${v.name}: datasource by a provisioned uid`,
      );
      assert.match(v.query.query, /^label_values\(/);
    }
    const ids = new Set<number>();
    for (const p of d.panels) {
      const where = `${f} panel ${p.id} "${p.title}"`;
      assert.ok(Number.isInteger(p.id) && !ids.has(p.id), `${where}: unique integer id`);
      ids.add(p.id);
      assert.ok(CORE_PANELS.has(p.type), `${where}: panel type ${p.type}`);
      const g = p.gridPos;
      assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0 && g.y >= 0, `${where}: gridPos within 24 columns`);
      for (const o of d.panels) {
        if (o === p) continue;
        const overlap =
          g.x < o.gridPos.x + o.gridPos.w &&
          o.gridPos.x < g.x + g.w &&
          g.y < o.gridPos.y + o.gridPos.h &&
          o.gridPos.y < g.y + g.h;
        assert.ok(!overlap, `${where} overlaps panel ${o.id}`);
      }
      assert.equal(dsType.get(p.datasource.uid), p.datasource.type, `${where}: datasource by a provisioned uid`);
      assert.ok(p.targets.length > 0, `${where}: has queries`);
      const refIds = p.targets.map((x) => x.refId);
      assert.equal(new Set(refIds).size, refIds.length, `${where}: unique refIds`);
      for (const x of p.targets) {
        assert.deepEqual(x.datasource, p.datasource, `${where}: query datasource = panel datasource`);
        assert.ok(x.expr, `${where}: expr`);
        for (const m of x.expr.matchAll(/\$(\w+)/g))
          assert.ok(vars.has(m[1] as string), `${where}: $${m[1]} is a variable`);
        if (p.datasource.type === "loki")
          assert.match(x.expr, /^\{(\w+=~?"[^"]*",?)+\}/, `${where}: a LogQL stream selector`);
        if (p.type === "logs") assert.equal(p.datasource.type, "loki");
      }
    }
  });
}

test("the device dashboard has the panels people look for, the fleet dashboard a site variable", () => {
  const device = load("edgewatch-device.json");
  const titles = device.panels.map((p) => p.title);
  for (const want of [
    "Service up (recorder)",
    "Current state",
    "Capture progress today",
    "Disk free",
    "Disk usage",
    "CPU temperature",
    "Memory",
    "Upload success rate",
    "Videos by status",
    "Recordings per day",
    "Job queue depth",
    "Job failures",
    "Alerts firing",
    "Logs",
  ]) {
    assert.ok(titles.includes(want), `device dashboard: ${want}`);
  }
  const temp = device.panels.find((p) => p.title === "CPU temperature") as unknown as {
    fieldConfig: {
      defaults: { thresholds: { steps: { value: number | null }[] }; custom: { thresholdsStyle: { mode: string } } };
    };
  };
  assert.ok(
    temp.fieldConfig.defaults.thresholds.steps.some((s) => s.value === 80),
    "80 °C threshold",
  );
  assert.equal(temp.fieldConfig.defaults.custom.thresholdsStyle.mode, "line");
  assert.deepEqual(
    device.templating.list.map((v) => v.name),
    ["site", "device"],
  );
  assert.deepEqual(
    load("edgewatch-fleet.json").templating.list.map((v) => v.name),
    ["site"],
  );
  assert.match(readFileSync(join(ROOT, "docs", "integrations.md"), "utf8"), /not been loaded into a running Grafana/);
});
