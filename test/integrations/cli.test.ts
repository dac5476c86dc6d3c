import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { requireTool, tempDir } from "../helpers/tools.ts";
import { ew } from "../jobs/helpers.ts";

function config(t: import("node:test").TestContext): string {
  const dir = tempDir(t, "ew-int-cli-");
  const path = join(dir, "config.yaml");
  writeFileSync(path, 'device: {id: gym-cam, site: "Balaruc les Bains"}\nhttp: {port: 9101}\n');
  return path;
}

test("integrations --help, and wrong words exit 2 saying what was expected", () => {
  const help = ew(["integrations", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: edgewatch integrations print prometheus\|grafana\|alertmanager/);
  const bad = ew(["integrations", "print", "nagios"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /expected one of prometheus, grafana, alertmanager after "print", got "nagios"/);
  assert.equal(ew(["integrations", "show", "grafana"]).code, 2);
  const target = ew(["integrations", "print", "prometheus", "--target", "no port"]);
  assert.equal(target.code, 2);
  assert.match(target.err, /--target: expected HOST:PORT/);
});

test("print prometheus: the device's name, site and port filled in; the written set passes promtool check config", (t) => {
  const cfg = config(t);
  const r = ew(["integrations", "print", "prometheus", "-c", cfg]);
  assert.equal(r.code, 0, r.err);
  const doc = parse(r.out);
  assert.deepEqual(doc.scrape_configs[0].static_configs, [
    { targets: ["gym-cam.local:9101"], labels: { device: "gym-cam", site: "Balaruc les Bains" } },
  ]);
  const out = tempDir(t, "ew-int-out-");
  const w = ew([
    "integrations",
    "print",
    "prometheus",
    "-c",
    cfg,
    "--out",
    out,
    "--runbook-base",
    "https://wiki.example.net/edgewatch/operations",
  ]);
  assert.equal(w.code, 0, w.err);
  assert.match(
    readFileSync(join(out, "alerts-edgewatch.yml"), "utf8"),
    /runbook_url: https:\/\/wiki\.example\.net\/edgewatch\/operations#edgewatchdevicedown/,
  );
  const promtool = requireTool(t, "promtool", "prometheus");
  if (!promtool) return;
  const check = spawnSync(promtool, ["check", "config", join(out, "prometheus.yml")], { encoding: "utf8" });
  assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
  const hub = ew(["integrations", "print", "prometheus", "-c", cfg, "--hub", "https://hub.example.org/"]);
  assert.equal(parse(hub.out).scrape_configs[0].http_sd_configs[0].url, "https://hub.example.org/sd");
});

test("print grafana presets the device dashboard's variables; print alertmanager writes a set amtool accepts", (t) => {
  const cfg = config(t);
  const g = ew(["integrations", "print", "grafana", "-c", cfg]);
  assert.equal(g.code, 0, g.err);
  const dash = JSON.parse(g.out) as {
    uid: string;
    templating: { list: { name: string; current: { value: string } }[] };
  };
  assert.equal(dash.uid, "edgewatch-device");
  assert.deepEqual(
    dash.templating.list.map((v) => `${v.name}=${v.current.value}`),
    ["site=Balaruc les Bains", "device=gym-cam"],
  );
  const out = tempDir(t, "ew-int-out-");
  assert.equal(ew(["integrations", "print", "grafana", "-c", cfg, "--out", out]).code, 0);
  for (const f of [
    "dashboards/edgewatch-fleet.json",
    "provisioning/datasources/edgewatch.yml",
    "provisioning/dashboards/edgewatch.yml",
  ]) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const amOut = tempDir(t, "ew-int-am-");
  const a = ew(["integrations", "print", "alertmanager", "-c", cfg, "--out", amOut]);
  assert.equal(a.code, 0, a.err);
  assert.match(readFileSync(join(amOut, "alertmanager.yml"), "utf8"), /for gym-cam at site Balaruc les Bains/);
  const amtool = requireTool(t, "amtool", "prometheus-alertmanager");
  if (!amtool) return;
  const check = spawnSync(amtool, ["check-config", join(amOut, "alertmanager.yml")], { encoding: "utf8" });
  assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
});
