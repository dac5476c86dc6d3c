import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { requireTool, tempDir } from "../helpers/tools.ts";
import { INTEGRATIONS, ROOT } from "./helpers.ts";

const DIR = join(INTEGRATIONS, "prometheus");
const ruleFiles = readdirSync(DIR).filter((f) => f.endsWith(".yml") && !f.startsWith("scrape-"));
const scrapeFiles = readdirSync(DIR).filter((f) => f.startsWith("scrape-") && f.endsWith(".yml"));
const testFiles = readdirSync(join(DIR, "tests")).filter((f) => f.endsWith(".test.yml"));

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules: Rule[] = ruleFiles.flatMap((f) =>
  (parse(readFileSync(join(DIR, f), "utf8")) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules),
);
const alerts = rules.filter((r) => r.alert);

/** GitHub's heading anchors: lower case, spaces to dashes, punctuation dropped. */
function anchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      (m[1] as string)
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, "")
        .replace(/ /g, "-"),
    ),
  );
}

function promtool(t: import("node:test").TestContext, args: string[], cwd = DIR) {
  const bin = requireTool(t, "promtool", "prometheus");
  if (!bin) return null;
  const r = spawnSync(bin, args, { cwd, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test("promtool check rules passes on every rule file", (t) => {
  assert.ok(ruleFiles.length >= 3, ruleFiles.join(", "));
  const r = promtool(t, ["check", "rules", ...ruleFiles]);
  if (!r) return;
  assert.equal(r.code, 0, r.out);
});

test("promtool check config passes on both scrape configs (the hub's token file stood in by a temp file)", (t) => {
  const dir = tempDir(t, "ew-prom-cfg-");
  for (const f of ruleFiles) copyFileSync(join(DIR, f), join(dir, f));
  const token = join(dir, "hub.token");
  writeFileSync(token, "secret\n");
  for (const f of scrapeFiles) {
    writeFileSync(
      join(dir, f),
      readFileSync(join(DIR, f), "utf8").replaceAll("/etc/prometheus/edgewatch-hub.token", token),
    );
    const r = promtool(t, ["check", "config", f], dir);
    if (!r) return;
    assert.equal(r.code, 0, `${f}: ${r.out}`);
  }
  const sd = parse(readFileSync(join(DIR, "scrape-hub-sd.yml"), "utf8"));
  assert.match(sd.scrape_configs[0].http_sd_configs[0].url, /\/sd$/);
});

test("promtool test rules passes on every test file", (t) => {
  assert.ok(testFiles.length >= 3);
  const r = promtool(t, ["test", "rules", ...testFiles.map((f) => join("tests", f))]);
  if (!r) return;
  assert.equal(r.code, 0, r.out);
  assert.doesNotMatch(r.out, /FAILED/);
});

test("every alert has a unit test that checks it silent one evaluation before its `for` ends and firing after", () => {
  const checks = new Map<string, { silent: number[]; firing: number[] }>();
  const dur = (s: string) => {
    let ms = 0;
    for (const m of s.matchAll(/(\d+)(ms|s|m|h|d)/g))
      ms += Number(m[1]) * { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[m[2] as "s"];
    return ms;
  };
  for (const f of testFiles) {
    const doc = parse(readFileSync(join(DIR, "tests", f), "utf8")) as {
      tests: { alert_rule_test?: { alertname: string; eval_time: string; exp_alerts: unknown[] }[] }[];
    };
    for (const tc of doc.tests)
      for (const a of tc.alert_rule_test ?? []) {
        const c = checks.get(a.alertname) ?? { silent: [], firing: [] };
        (a.exp_alerts.length ? c.firing : c.silent).push(dur(a.eval_time));
        checks.set(a.alertname, c);
      }
  }
  for (const a of alerts) {
    const c = checks.get(a.alert as string);
    assert.ok(c && c.firing.length > 0, `${a.alert}: no test where it fires`);
    const firstFiring = Math.min(...c.firing);
    assert.ok(
      c.silent.some((s) => s < firstFiring && s >= firstFiring - 60_000),
      `${a.alert}: no check that it is still silent one evaluation before it fires`,
    );
    if (a.for) assert.ok(firstFiring >= dur(a.for), `${a.alert}: fires before its for (${a.for})`);
  }
});

test("every alert has a severity the Alertmanager routes, names device and site, and links an existing runbook section", () => {
  const ops = anchors(readFileSync(join(ROOT, "docs", "operations.md"), "utf8"));
  assert.ok(alerts.length >= 17, `${alerts.length} alerts`);
  for (const a of alerts) {
    assert.ok(["critical", "warning", "info"].includes(a.labels?.severity ?? ""), `${a.alert}: severity`);
    const url = a.annotations?.runbook_url ?? "";
    const [file, anchor] = url.split("#");
    assert.equal(file, "docs/operations.md", `${a.alert}: runbook_url ${url}`);
    assert.ok(ops.has(anchor as string), `${a.alert}: docs/operations.md has no section #${anchor}`);
    const summary = a.annotations?.summary ?? "";
    if (a.alert !== "EdgewatchSiteUnreachable")
      assert.match(summary, /\$labels\.device/, `${a.alert}: summary names the device`);
    assert.match(summary, /\$labels\.site/, `${a.alert}: summary names the site`);
  }
});
