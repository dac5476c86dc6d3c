// The dashboard's honesty and layout in Chromium: buttons that cannot work say so, no empty axis,
// one timestamp format, empty cards collapse, long file names wrap between their parts on a phone.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { emitEvent, updateStatus } from "../../src/index.ts";
import { startTestAgent } from "../agent/core/helpers.ts";
import { tempDir } from "../helpers/tools.ts";
import { launchChromium } from "./helpers/browser.ts";
import { buildWeb, withEnv } from "./helpers/web.ts";

const LONG = "20261125_Pi0Cam_sunrise-profile-a_timelapse_segment_0342_final.jpg";

const until = (page: Page, fn: () => boolean, timeout = 30_000) => page.waitForFunction(fn, null, { timeout });
const attr = (page: Page, action: string, name: string) => page.getAttribute(`button[data-action="${action}"]`, name);

test("dashboard: unavailable controls say why, no empty temperature axis, one time format, empty cards collapse, file names wrap between parts", async (t) => {
  const browser = await launchChromium(t, { width: 360, height: 740 });
  if (!browser) return;
  withEnv(t, "EDGEWATCH_WEB_DIR", buildWeb(t));
  const dir = tempDir(t, "ew-layout-");
  const noSys = join(dir, "sys"); // no thermal zones: no temperature data at all
  mkdirSync(noSys);
  const logFile = join(dir, "timelapse.log");
  writeFileSync(logFile, "2026-11-25 10:00:00,000 - timelapse - INFO - capture loop started\n");
  const agent = await startTestAgent(t, {
    files: { logs: [{ path: logFile, name: "timelapse" }] },
    collectors: {
      sys_root: noSys,
      system: { interval: "1s" },
      camera: { interval: "1s", test: { argv: ["true"], first_after: "0s", every: "1h" } },
    },
  });
  const w = { dir: agent.statusDir };
  await updateStatus(
    "timelapse",
    { status: "capturing", last_capture: { time: new Date().toISOString(), filename: LONG, success: true } },
    w,
  );
  await updateStatus(
    "transfer-nas",
    { transfers: { nas: { last_status: "success", verified: 3, failed: 0, last_end: new Date().toISOString() } } },
    w,
  );
  await emitEvent("manager", { level: "warning", message: "YouTube upload failed", code: "YT-001" }, w);

  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(`${agent.url}/`);
  await until(page, () => /YouTube upload failed/.test(document.getElementById("alerts")?.textContent ?? ""));

  // 1. No token on this device: every control button looks unavailable and the page says why.
  for (const a of ["/api/camera/test", "/api/camera/recover", "/api/system/restart-services", "/api/system/reboot"])
    assert.equal(await attr(page, a, "aria-disabled"), "true", a);
  assert.equal(
    await page.textContent("#control-note"),
    "Control is off: no control token is set on this device (http.token in its config).",
  );
  // Still focusable (aria-disabled, not disabled): the keyboard reaches it and hears the reason.
  await page.focus('button[data-action="/api/camera/test"]');
  await page.keyboard.press("Enter");
  assert.match((await page.textContent("#control-result")) ?? "", /^Test camera: unavailable, no control token/);
  assert.equal(await page.evaluate(`document.getElementById("token-dialog").open`), false, "no token asked");

  // The camera card shows the periodic camera test's last result.
  await page.waitForFunction(
    () =>
      /Camera testpassed \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/.test(
        document.getElementById("camera-kv")?.textContent ?? "",
      ),
    null,
    { timeout: 30_000 },
  );

  // 2. No temperature data: the chart has no temperature series or axis.
  await page.waitForSelector("#chart canvas", { timeout: 30_000 });
  assert.equal(await page.getAttribute("#chart", "data-temperature"), "hidden");
  assert.doesNotMatch((await page.textContent("#chart")) ?? "", /Temp/);
  assert.match((await page.textContent("#chart")) ?? "", /CPU %/);

  // 3. One timestamp format everywhere a time is shown (a live event adds a timed log line).
  await emitEvent("timelapse", { level: "info", message: "photo 0343 saved" }, w);
  await until(
    page,
    () => document.querySelectorAll("#logs time").length > 0 && document.querySelectorAll("#jobs time").length > 0,
  );
  const times = (await page.evaluate(
    `[...document.querySelectorAll("time")].map((e) => e.closest("[id]").id + " " + e.textContent)`,
  )) as string[];
  const where = new Set(times.map((x) => x.split(" ")[0]));
  for (const id of ["alerts", "logs", "jobs", "system-kv", "photo-caption", "chart-note"])
    assert.ok(where.has(id), `a timestamp in #${id}: ${times.join(" | ")}`);
  for (const x of times) assert.match(x, /^[\w-]+ \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  const body = (await page.evaluate("document.body.innerText")) as string;
  assert.doesNotMatch(body, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\b\d{1,2}\/\d{1,2}\/\d{2,4}\b|\d [AP]M\b/);

  // 4. A long file name on a phone wraps between its parts, never inside one, and nothing overflows.
  const file = (await page.evaluate(`(() => {
    const f = document.querySelector("#today-kv .filename");
    const parts = [...f.children].filter((c) => c.tagName === "SPAN");
    return {
      text: f.textContent,
      wrap: getComputedStyle(f.parentElement).overflowWrap,
      partLines: parts.map((p) => p.getClientRects().length),
      tops: new Set(parts.map((p) => Math.round(p.getBoundingClientRect().top))).size,
      clipped: parts.filter((p) => p.scrollWidth > p.clientWidth).length,
      pageWidth: document.documentElement.scrollWidth,
    };
  })()`)) as { text: string; wrap: string; partLines: number[]; tops: number; clipped: number; pageWidth: number };
  assert.equal(file.text, LONG);
  assert.notEqual(file.wrap, "anywhere");
  assert.ok(
    file.partLines.every((n) => n === 1),
    `every part on one line: ${file.partLines}`,
  );
  assert.ok(file.tops >= 2, "the name wraps onto more than one line on a 360 px screen");
  assert.equal(file.clipped, 0);
  assert.ok(file.pageWidth <= 360, `no horizontal scrolling (page ${file.pageWidth} px wide)`);

  // 5. Empty cards collapse (Redis is not configured here), next to cards that have data.
  await page.setViewportSize({ width: 1440, height: 900 });
  const heights = (await page.evaluate(`(() => {
    const card = (id) => document.getElementById(id).closest("section");
    return { redis: card("redis-kv").getBoundingClientRect().height, redisEmpty: card("redis-kv").classList.contains("empty"),
      system: card("system-kv").getBoundingClientRect().height, alertsEmpty: card("alerts").classList.contains("empty") };
  })()`)) as { redis: number; redisEmpty: boolean; system: number; alertsEmpty: boolean };
  assert.equal(heights.redisEmpty, true);
  assert.equal(heights.alertsEmpty, false);
  assert.ok(heights.redis < 90, `the empty Redis card is short (${heights.redis} px)`);
  assert.ok(heights.redis < heights.system / 2, `and much shorter than a card with data (${heights.system} px)`);
});

test("dashboard: with a token, only the control actions that are not configured look unavailable", async (t) => {
  const browser = await launchChromium(t, { width: 390, height: 844 });
  if (!browser) return;
  withEnv(t, "EDGEWATCH_WEB_DIR", buildWeb(t));
  const agent = await startTestAgent(t, {
    http: { token: "layout-test-token-0123456789" },
    recovery: { camera_test: { type: "command", argv: ["/bin/echo", "ok"] } },
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(`${agent.url}/`);
  await until(page, () => (document.getElementById("control-note")?.textContent ?? "") !== "");
  assert.equal(await attr(page, "/api/camera/test", "aria-disabled"), null);
  assert.equal(await attr(page, "/api/system/reboot", "aria-disabled"), null);
  assert.equal(await attr(page, "/api/camera/recover", "aria-disabled"), "true");
  assert.equal(await attr(page, "/api/system/restart-services", "aria-disabled"), "true");
  assert.equal(
    await page.textContent("#control-note"),
    "Not configured on this device: Recover camera (recovery.camera_recover), Restart services (recovery.restart_services).",
  );
  const style = (await page.evaluate(
    `getComputedStyle(document.querySelector('button[data-action="/api/camera/recover"]')).borderStyle`,
  )) as string;
  assert.equal(style, "dashed", "looks unavailable");
});
