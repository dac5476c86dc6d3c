// The gauges are coloured by the alert thresholds the agent is configured with (alerts.rules.*),
// read from GET /config, not by numbers fixed in the page. Real agent, real build, Debian's Chromium;
// /proc and /sys are fixture trees so memory (60 %) and temperature (65 °C) are known.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import type { ConfigInput } from "../../src/agent/config.ts";
import { get, startTestAgent } from "../agent/core/helpers.ts";
import { tempDir } from "../helpers/tools.ts";
import { launchChromium } from "./helpers/browser.ts";
import { buildWeb, withEnv } from "./helpers/web.ts";

/** A /proc with 60 % of memory in use and a /sys whose CPU zone reads 65 °C. */
function fixtureRoots(t: TestContext): { proc: string; sys: string } {
  const dir = tempDir(t, "ew-thresholds-");
  const proc = join(dir, "proc");
  mkdirSync(proc);
  writeFileSync(join(proc, "stat"), "cpu  100 0 100 800 0 0 0 0 0 0\n");
  writeFileSync(join(proc, "meminfo"), "MemTotal:        1000000 kB\nMemAvailable:     400000 kB\n");
  writeFileSync(join(proc, "loadavg"), "0.10 0.20 0.30 1/100 1234\n");
  writeFileSync(join(proc, "uptime"), "3600.00 7000.00\n");
  const zone = join(dir, "sys", "class", "thermal", "thermal_zone0");
  mkdirSync(zone, { recursive: true });
  writeFileSync(join(zone, "temp"), "65000\n");
  writeFileSync(join(zone, "type"), "cpu-thermal\n");
  return { proc, sys: join(dir, "sys") };
}

async function gaugeTones(t: TestContext, input: Partial<ConfigInput>): Promise<Record<string, string | null>> {
  const browser = await launchChromium(t);
  assert.ok(browser, "Chromium is needed");
  const roots = fixtureRoots(t);
  const agent = await startTestAgent(t, {
    ...input,
    collectors: {
      proc_root: roots.proc,
      sys_root: roots.sys,
      system: { interval: "1s", mounts: [] },
      thermal: { interval: "1s" },
    },
  });
  const page = await browser.newPage();
  await page.goto(`${agent.url}/`);
  // Both values on screen, and the thresholds loaded (a gauge has a tone once they are known). Page
  // scripts are strings: the test runner's transform would add helpers the page does not have.
  const read = `Object.fromEntries([...document.querySelectorAll("#resources .gauge")].map((g) =>
    [g.querySelector("label span")?.textContent ?? "?", [g.getAttribute("data-tone"), g.querySelector("strong")?.textContent]]))`;
  await page.waitForFunction(
    `(() => { const g = ${read}; return g.Memory?.[1] === "60.0 %" && g.Memory?.[0] !== null && g.Temperature?.[1] === "65.0 °C" && g.Temperature?.[0] !== null; })()`,
    null,
    { timeout: 60_000 },
  );
  const gauges = (await page.evaluate(read)) as Record<string, [string | null, string]>;
  return Object.fromEntries(Object.entries(gauges).map(([k, v]) => [k, v[0]]));
}

test("gauge colours follow the configured alert thresholds (memory 50/70 %, temperature 60/64 °C)", {
  timeout: 180_000,
}, async (t) => {
  withEnv(t, "EDGEWATCH_WEB_DIR", buildWeb(t));
  const tones = await gaugeTones(t, {
    alerts: { rules: { memory: { warning: 50, critical: 70 }, temperature: { warning: 60, critical: 64 } } },
  });
  // 60 % memory is a warning at 50 %; 65 °C is critical at 64 °C. CPU and disk have no data: no colour.
  assert.deepEqual(tones, { CPU: null, Memory: "warn", Disk: null, Temperature: "bad" });
});

test("with the default thresholds the same values are fine (memory 90/95 %, temperature 70/80 °C)", {
  timeout: 180_000,
}, async (t) => {
  withEnv(t, "EDGEWATCH_WEB_DIR", buildWeb(t));
  const tones = await gaugeTones(t, {});
  assert.deepEqual(tones, { CPU: null, Memory: "ok", Disk: null, Temperature: "ok" });
});

test("/config answers the thresholds in force, each rule's default filled in (disk from alerts.preset)", async (t) => {
  const a = await startTestAgent(t, { alerts: { preset: "seed000", rules: { cpu: { warning: 70 } } } });
  const body = (await get(`${a.url}/config`)).json<{ thresholds: unknown }>();
  assert.deepEqual(body.thresholds, {
    cpu: { warning: 70, critical: 95 },
    memory: { warning: 90, critical: 95 },
    disk: { warning: 80, critical: 90 },
    temperature: { warning: 70, critical: 80 },
  });
});
