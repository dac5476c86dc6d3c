// The device dashboard end to end: a real agent (startAgent, every registered module) on a temp
// status dir, the real web build, and Debian's Chromium driven by playwright-core.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { type IncomingMessage, request } from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import type { ConsoleMessage, Page } from "playwright-core";
import { startAgent } from "../../src/agent/agent.ts";
import { validateConfig } from "../../src/agent/config.ts";
import { loadAssets, pickVariant } from "../../src/http/assets.ts";
import { emitEvent, updateStatus } from "../../src/index.ts";
import { startTestAgent } from "../agent/core/helpers.ts";
import { startRedis } from "../helpers/redis.ts";
import { tempDir, waitFor } from "../helpers/tools.ts";
import { launchChromium } from "./helpers/browser.ts";
import { buildWeb, openSse, raw, withEnv } from "./helpers/web.ts";

const TOKEN = "dashboard-test-token-0123456789";
const ARTIFACTS = join(import.meta.dirname, "..", "..", "test-artifacts");

const today = () => new Date().toISOString().slice(0, 10);

test("the agent serves the built page with negotiated encodings, ETags and immutable assets", async (t) => {
  const web = buildWeb(t);
  withEnv(t, "EDGEWATCH_WEB_DIR", web);
  const agent = await startTestAgent(t);

  const html = readFileSync(join(web, "index.html"));
  const plain = await raw(`${agent.url}/`, { "Accept-Encoding": "identity" });
  assert.equal(plain.status, 200);
  assert.equal(plain.headers["content-type"], "text/html; charset=utf-8");
  assert.equal(plain.headers["content-encoding"], undefined);
  assert.deepEqual(plain.body, html);
  assert.equal(plain.headers["cache-control"], "no-cache");
  assert.match(String(plain.headers["content-security-policy"]), /script-src 'self'/);

  const br = await raw(`${agent.url}/`, { "Accept-Encoding": "gzip, deflate, br" });
  assert.equal(br.headers["content-encoding"], "br");
  assert.equal(br.headers.vary, "Accept-Encoding");
  assert.deepEqual(brotliDecompressSync(br.body), html);
  assert.ok(br.body.length < html.length / 2, `brotli body ${br.body.length} B vs ${html.length} B`);

  const gz = await raw(`${agent.url}/`, { "Accept-Encoding": "gzip" });
  assert.equal(gz.headers["content-encoding"], "gzip");
  assert.deepEqual(gunzipSync(gz.body), html);

  // br refused with q=0 → gzip; every encoding has its own ETag.
  const noBr = await raw(`${agent.url}/`, { "Accept-Encoding": "br;q=0, gzip;q=0.5" });
  assert.equal(noBr.headers["content-encoding"], "gzip");
  assert.notEqual(br.headers.etag, gz.headers.etag);

  const again = await raw(`${agent.url}/`, { "Accept-Encoding": "br", "If-None-Match": String(br.headers.etag) });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  const stale = await raw(`${agent.url}/`, { "Accept-Encoding": "br", "If-None-Match": '"not-this-one"' });
  assert.equal(stale.status, 200);

  // The stylesheet is inline (one round trip less before the first paint) and allowed by its hash only.
  const style = /<style>([\s\S]*?)<\/style>/.exec(html.toString())?.[1];
  assert.ok(style && style.length > 1000, "index.html inlines the stylesheet");
  const styleHash = createHash("sha256").update(style).digest("base64");
  assert.match(
    String(plain.headers["content-security-policy"]),
    new RegExp(`style-src 'self' 'sha256-${styleHash.replace(/[+/]/g, "\\$&")}';`),
  );
  assert.doesNotMatch(String(plain.headers["content-security-policy"]), /unsafe-inline/);
  const js = /src="(\/assets\/app-[A-Z0-9]+\.js)"/.exec(html.toString())?.[1];
  assert.ok(js, "index.html names the hashed bundle");
  const bundle = await raw(`${agent.url}${js}`, { "Accept-Encoding": "br" });
  assert.equal(bundle.status, 200, js);
  assert.equal(bundle.headers["content-type"], "text/javascript; charset=utf-8");
  assert.equal(bundle.headers["cache-control"], "public, max-age=31536000, immutable");
  assert.deepEqual(brotliDecompressSync(bundle.body), readFileSync(join(web, js.slice(1))));
  const head = await raw(`${agent.url}${js}`, { "Accept-Encoding": "gzip" }, "HEAD");
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.ok(Number(head.headers["content-length"]) > 1000);

  // Unknown asset names are the HTTP layer's 404, not a crash.
  const missing = await raw(`${agent.url}/assets/app-NOPE.js`);
  assert.equal(missing.status, 404);
  assert.match(JSON.parse(missing.body.toString()).error, /no such path/);
});

test("the page's TypeScript type-checks (web/tsconfig.json: DOM types, strict)", () => {
  const tsc = join(import.meta.dirname, "..", "..", "node_modules", ".bin", "tsc");
  const res = spawnSync(tsc, ["--noEmit", "-p", join(import.meta.dirname, "..", "..", "web")], {
    encoding: "utf8",
    timeout: 300_000,
  });
  assert.equal(res.status, 0, `tsc -p web failed:\n${res.stdout}${res.stderr}`);
});

test("content-encoding negotiation follows Accept-Encoding, including q-values and odd input", (t) => {
  const asset = loadAssets(buildWeb(t)).get("/");
  assert.ok(asset);
  const pick = (h: string | undefined) => pickVariant(asset, h).encoding;
  assert.equal(pick(undefined), "identity");
  assert.equal(pick(""), "identity");
  assert.equal(pick("gzip, deflate, br, zstd"), "br");
  assert.equal(pick("GZIP"), "gzip");
  assert.equal(pick("br;q=0"), "identity");
  assert.equal(pick("br;q=0, *"), "gzip");
  assert.equal(pick("*"), "br");
  assert.equal(pick("*;q=0"), "identity");
  assert.equal(pick("br;q=abc, gzip;q=0.1"), "gzip"); // an unreadable q is not a yes
  assert.equal(pick(",,; ;q=,br"), "br");
  assert.equal(pick("x".repeat(10_000)), "identity");
});

test("without a built dashboard, / says how to build it and the rest of the agent runs", async (t) => {
  const empty = tempDir(t, "ew-noweb-");
  withEnv(t, "EDGEWATCH_WEB_DIR", empty);
  const agent = await startTestAgent(t);
  const r = await raw(`${agent.url}/`);
  assert.equal(r.status, 503);
  assert.match(
    JSON.parse(r.body.toString()).error,
    /dashboard assets are not built \(no index\.html in .*\): run `node scripts\/build\.mjs`/,
  );
  assert.ok(agent.logs.some((l) => l.level === "warn" && /dashboard assets are not built/.test(l.msg)));
  assert.equal((await raw(`${agent.url}/status`)).status, 200);
  // The live stream does not need the page.
  const s = await openSse(`${agent.url}/api/events`);
  t.after(() => s.close());
  assert.equal(s.status, 200);
  await waitFor("snapshot frame", () => s.frames.find((f) => f.event === "snapshot"), 30_000);
});

test("/api/events streams a snapshot, then status, sample, alert and event changes; limits and cleans up", async (t) => {
  withEnv(t, "EDGEWATCH_WEB_DIR", buildWeb(t));
  const agent = await startTestAgent(t, { http: { idle_timeout: 4 } });
  await updateStatus("timelapse", { status: "capturing", today: { photos_captured: 5 } }, { dir: agent.statusDir });

  const s = await openSse(`${agent.url}/api/events`);
  t.after(() => s.close());
  assert.equal(s.status, 200);
  assert.equal(s.headers["content-type"], "text/event-stream; charset=utf-8");
  assert.equal(s.headers["cache-control"], "no-cache, no-transform");
  const snap = await waitFor("snapshot", () => s.frames.find((f) => f.event === "snapshot"), 30_000);
  const first = JSON.parse(snap!.data);
  assert.equal(first.document.device_id, "pi-test");
  assert.ok(Array.isArray(first.alerts));
  assert.equal(typeof first.features.photos, "boolean");

  await waitFor(
    "the first status in the stream",
    () =>
      s.frames.find(
        (f) => (f.event === "snapshot" ? JSON.parse(f.data).document : JSON.parse(f.data)).today?.photos_captured === 5,
      ),
    30_000,
  );
  await updateStatus("timelapse", { today: { photos_captured: 6 } }, { dir: agent.statusDir });
  const status = await waitFor(
    "status frame with 6 photos",
    () => s.frames.find((f) => f.event === "status" && JSON.parse(f.data).today?.photos_captured === 6),
    30_000,
  );
  assert.equal(JSON.parse(status!.data).status, "capturing");

  await agent.state.setCollector({ collector: "probe", ok: true, at: Date.now(), durationMs: 1, data: { x: 1 } });
  await waitFor("sample frame", () => s.frames.find((f) => f.event === "sample" && f.data.includes('"probe"')), 30_000);

  // Error events written through the protocol reach the stream; three capture errors in a row raise an alert.
  for (let i = 0; i < 3; i++)
    await emitEvent(
      "timelapse",
      { level: "error", message: "capture failed", code: "CAP-001" },
      { dir: agent.statusDir },
    );
  await waitFor("device-event frame", () => s.frames.find((f) => f.event === "device-event"), 30_000);
  const alert = await waitFor("alert frame", () => s.frames.find((f) => f.event === "alert"), 30_000);
  assert.match(JSON.parse(alert!.data).summary, /capture failed/);

  // idle_timeout 4 s → heartbeats every 2 s keep the stream open past the idle timeout.
  await waitFor("two pings", () => s.frames.filter((f) => f.event === "ping").length >= 2, 30_000);
  assert.ok(s.comments.includes("heartbeat"));

  // 16 streams at most: the 17th gets a JSON 503 with Retry-After.
  const more = await Promise.all(Array.from({ length: 15 }, () => openSse(`${agent.url}/api/events`)));
  t.after(() => {
    for (const m of more) m.close();
  });
  assert.ok(more.every((m) => m.status === 200));
  const refused = await openSse(`${agent.url}/api/events`);
  assert.equal(refused.status, 503);
  assert.equal(refused.headers["retry-after"], "10");
  await waitFor("refusal body", () => refused.body.length > 0, 10_000);
  assert.match(JSON.parse(refused.body).error, /expected at most 16/);

  // HEAD answers at once and takes no slot.
  const headEvents = await raw(`${agent.url}/api/events`, {}, "HEAD");
  assert.equal(headEvents.status, 200);
  assert.equal(headEvents.headers["content-type"], "text/event-stream; charset=utf-8");

  // Closing streams frees their slots (the agent notices the disconnect).
  for (const m of more) m.close();
  const metric = async () =>
    /edgewatch_dashboard_streams\{[^}]*\} (\d+)/.exec((await raw(`${agent.url}/metrics`)).body.toString())?.[1];
  await waitFor("streams back to 1", async () => (await metric()) === "1", 30_000);
  const again = await openSse(`${agent.url}/api/events`);
  t.after(() => again.close());
  assert.equal(again.status, 200);
});

test("/api/events drops a client that stops reading instead of buffering without bound", async (t) => {
  withEnv(t, "EDGEWATCH_WEB_DIR", buildWeb(t));
  const agent = await startTestAgent(t);
  const metric = async (name: string) =>
    Number(new RegExp(`${name}\\{[^}]*\\} (\\d+)`).exec((await raw(`${agent.url}/metrics`)).body.toString())?.[1]);
  // A reader that takes the headers and then never reads again.
  const stalled = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(`${agent.url}/api/events`, { agent: false }, (res) => {
      res.pause();
      resolve(res);
    });
    req.on("error", () => {});
    t.after(() => req.destroy());
    req.setTimeout(60_000, () => reject(new Error("no answer from /api/events")));
    req.end();
  });
  assert.equal(stalled.statusCode, 200);
  await waitFor("one open stream", async () => (await metric("edgewatch_dashboard_streams")) === 1, 30_000);
  // 100 KiB documents, one per tick: kernel buffers fill, then the agent's own backlog passes 512 KiB.
  const big = "x".repeat(100 * 1024);
  await waitFor(
    "the stalled stream to be dropped",
    async () => {
      for (let i = 0; i < 20; i++) {
        await agent.state.setDocument({ big, i });
        await new Promise((r) => setImmediate(r));
      }
      return (await metric("edgewatch_dashboard_streams_dropped_total")) >= 1;
    },
    60_000,
  );
  assert.equal(await metric("edgewatch_dashboard_streams"), 0);
  // The agent is fine and serves the next stream.
  const s = await openSse(`${agent.url}/api/events`);
  t.after(() => s.close());
  assert.equal(s.status, 200);
});

test("dashboard in Chromium: real data, live updates, alerts, control with token, no console errors", async (t) => {
  const browser = await launchChromium(t, { width: 390, height: 844 });
  if (!browser) return;
  withEnv(t, "EDGEWATCH_WEB_DIR", buildWeb(t));

  const dir = tempDir(t, "ew-dash-");
  const photos = join(dir, "photos");
  mkdirSync(photos);
  const logFile = join(dir, "timelapse.log");
  writeFileSync(logFile, "2026-11-25 10:00:00,000 - timelapse - INFO - capture loop started\n");
  const redisPort = await startRedis(t);
  const agent = await startTestAgent(t, {
    http: { token: TOKEN },
    files: { photos: [join(photos, "*.jpg")], logs: [{ path: logFile, name: "timelapse" }] },
    recovery: { camera_test: { type: "command", argv: ["/bin/echo", "camera answered"] } },
    // Sample every second so the chart has points within the test; a real Redis to watch.
    collectors: {
      system: { interval: "1s" },
      ...(redisPort === null ? {} : { redis: { url: `redis://127.0.0.1:${redisPort}`, interval: "1s" } }),
    },
  });

  const page = browser.pages()[0] ?? (await browser.newPage());
  const problems: string[] = [];
  const onConsole = (m: ConsoleMessage) => {
    // The refused control request (401) is logged by Chromium as a failed resource: that refusal is
    // what the control test asks for, so only it is let through.
    if (/status of 401/.test(m.text()) && m.location().url.endsWith("/api/camera/test")) return;
    if (m.type() === "error") problems.push(`console: ${m.text()} @ ${m.location().url}`);
  };
  page.on("console", onConsole);
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  let navigations = 0;
  page.on("framenavigated", (f) => {
    if (f === page.mainFrame()) navigations++;
  });

  // A real JPEG (Chromium encodes one) as the latest photo, and a capture day in progress.
  await page.setContent("<body style='background:#48a'><h1>frame</h1></body>");
  writeFileSync(join(photos, "20261125_Pi0Cam_0342.jpg"), await page.screenshot({ type: "jpeg" }));
  await updateStatus(
    "timelapse",
    {
      status: "capturing",
      today: {
        date: today(),
        photos_captured: 342,
        expected_photos: 750,
        start_time: "00:00:00",
        end_time: "23:59:00",
        interval_seconds: 45,
      },
      last_capture: { time: new Date().toISOString(), filename: "20261125_Pi0Cam_0342.jpg", success: true },
    },
    { dir: agent.statusDir },
  );
  // What `edgewatch transfer` writes after a verified backup.
  await updateStatus(
    "transfer-nas",
    {
      transfers: {
        nas: {
          last_status: "success",
          dest: "nas:/backup/cam",
          verified: 12,
          failed: 0,
          last_end: new Date().toISOString(),
        },
      },
    },
    { dir: agent.statusDir },
  );
  await updateStatus(
    "manager",
    { last_video: { date: "2026-11-24", filename: "20261124_Pi0Cam_timelapse.mp4", backed_up: true } },
    { dir: agent.statusDir },
  );

  await t.test("renders the device's real data", async () => {
    await page.goto(`${agent.url}/`);
    navigations = 1;
    await page.waitForFunction(() => document.getElementById("captured")?.textContent === "342", null, {
      timeout: 30_000,
    });
    assert.equal(await text(page, "#expected"), "750");
    assert.equal(await text(page, "#device-id"), "pi-test");
    assert.equal(await text(page, "#device-status"), "capturing");
    assert.equal(await page.getAttribute('#pipeline li[data-stage="capturing"]', "aria-current"), "step");
    assert.match(await text(page, "#video-kv"), /20261124_Pi0Cam_timelapse\.mp4/);
    await page.waitForFunction(() => (document.getElementById("photo") as HTMLImageElement).naturalWidth > 0, null, {
      timeout: 30_000,
    });
    assert.match(await text(page, "#photo-caption"), /Last photo \d+ s ago/);
    assert.equal(await page.getAttribute("#conn", "data-state"), "live");
    // The system collector reads this machine's /proc: memory use is a real percentage.
    await page.waitForFunction(
      () => /Memory\d+\.\d %/.test(document.getElementById("resources")?.textContent ?? ""),
      null,
      {
        timeout: 30_000,
      },
    );
    // Log lines from the configured file (through /api/dashboard).
    await page.waitForFunction(
      () => /capture loop started/.test(document.getElementById("logs")?.textContent ?? ""),
      null,
      {
        timeout: 30_000,
      },
    );
    assert.match(await text(page, "#processes"), /writer timelapse/);
    if (redisPort !== null) {
      const redis = await waitText(page, "#redis-kv", /connected/);
      assert.match(redis, /Ping\d+\.\d ms/);
      assert.match(redis, /Memory\d+\.\d (KiB|MiB)/);
    }
    assert.match(await waitText(page, "#jobs", /nas/), /nas→ nas:\/backup\/camsuccess12 \/ 0/);
  });

  await t.test("the performance chart draws live CPU and memory samples", async () => {
    // (Before the status turns to creating_video: quiet mode pauses sampling.)
    await page.waitForSelector("#chart canvas", { timeout: 30_000 });
    await waitText(page, "#chart-note", /^\d+ samples since/);
    await waitText(page, "#resources", /CPU\d+\.\d %/);
  });

  await t.test("a status change written through the protocol appears without a reload", async () => {
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });
    await updateStatus(
      "timelapse",
      { status: "creating_video", today: { photos_captured: 343 } },
      { dir: agent.statusDir },
    );
    // Issue 7: visible within 2 s. Waiting up to 10 s keeps a loaded CI machine from flaking; the
    // page must get there through the stream (no reload, still "live", not polling).
    await page.waitForFunction(() => document.getElementById("captured")?.textContent === "343", null, {
      timeout: 10_000,
    });
    assert.equal(await text(page, "#device-status"), "creating video");
    assert.equal(await page.getAttribute('#pipeline li[data-stage="creating_video"]', "aria-current"), "step");
    assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42);
    assert.equal(navigations, 1);
    assert.equal(await page.getAttribute("#conn", "data-state"), "live");
    await waitText(page, "#resources", /Sampling paused while the device encodes video/);
  });

  await t.test("an alert raised by a rule appears", async () => {
    for (let i = 0; i < 3; i++)
      await emitEvent(
        "timelapse",
        { level: "error", message: "capture failed: camera timeout", code: "CAP-001" },
        { dir: agent.statusDir },
      );
    await page.waitForFunction(
      () => /capture failed: camera timeout/.test(document.getElementById("alerts")?.textContent ?? ""),
      null,
      {
        timeout: 30_000,
      },
    );
    assert.match(await text(page, "#alerts"), /warning · firing/);
    // The event itself shows in the log list at once.
    assert.match(await text(page, "#logs"), /timelapse: capture failed: camera timeout \[CAP-001\]/);
  });

  await t.test("control: refused without the token, succeeds with it, token asked once per session", async () => {
    const button = page.getByRole("button", { name: "Test camera" });
    // No token entered: the request goes out without one and the agent refuses it.
    await button.click();
    await page.getByLabel("Token", { exact: true }).fill("");
    await page.getByRole("button", { name: "Send" }).click();
    await waitText(page, "#control-result", /refused/);
    assert.match(
      await text(page, "#control-result"),
      /Test camera: refused, token missing or wrong: missing bearer token/,
    );
    // A wrong token is refused too.
    await button.click();
    await page.getByLabel("Token", { exact: true }).fill("not-the-right-token-at-all");
    await page.getByRole("button", { name: "Send" }).click();
    await page.waitForFunction(() =>
      /wrong bearer token/.test(document.getElementById("control-result")?.textContent ?? ""),
    );
    // The right token: the configured camera test runs.
    await button.click();
    await page.getByLabel("Token", { exact: true }).fill(TOKEN);
    await page.keyboard.press("Enter");
    await waitText(page, "#control-result", /done/);
    assert.match(await text(page, "#control-result"), /Test camera: done \(ok\): camera answered/);
    // Kept for the session: no dialog the second time.
    await page.evaluate(() => {
      (document.getElementById("control-result") as HTMLElement).textContent = "";
    });
    await button.click();
    await waitText(page, "#control-result", /done/);
    assert.equal(await page.evaluate(() => (document.getElementById("token-dialog") as HTMLDialogElement).open), false);
    // A destructive action asks first; cancelling sends nothing.
    await page.getByRole("button", { name: "Reboot device" }).click();
    assert.match(await waitText(page, "#confirm-text", /Reboot/), /Reboot the device\?/);
    await page.getByRole("button", { name: "Cancel" }).click();
    assert.equal(await waitText(page, "#control-result", /cancelled/), "Reboot device: cancelled");
    const audit = await raw(`${agent.url}/api/recovery`);
    assert.equal(audit.status, 200);
  });

  await t.test("keyboard and labels: controls work from the keyboard, sections and dialogs are labelled", async () => {
    await page.focus('button[data-action="/api/camera/test"]');
    await page.evaluate(() => {
      (document.getElementById("control-result") as HTMLElement).textContent = "";
    });
    await page.keyboard.press("Enter");
    await waitText(page, "#control-result", /done/);
    // The first focusable element is the skip link.
    assert.equal(
      await page.evaluate(() => document.querySelector("a[href], button, input, [tabindex]")?.textContent),
      "Skip to content",
    );
    for (const id of ["token-dialog", "confirm-dialog"]) {
      const label = await page.getAttribute(`#${id}`, "aria-labelledby");
      assert.ok(label && (await text(page, `#${label}`)).length > 0, `${id} is labelled`);
    }
    const unlabelled = await page.evaluate(
      () =>
        [...document.querySelectorAll("section")].filter((s) => {
          const id = s.getAttribute("aria-labelledby");
          return !id || !document.getElementById(id)?.textContent;
        }).length,
    );
    assert.equal(unlabelled, 0);
    // Readable in bright light: every visible text meets WCAG AA contrast (4.5:1), light and dark.
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const low = await page.evaluate(LOW_CONTRAST_TEXTS);
      assert.deepEqual(low, [], `${scheme} scheme: text under 4.5:1 contrast`);
    }
    await page.emulateMedia({ colorScheme: "light" });
    const unnamedButtons = await page.evaluate(
      () => [...document.querySelectorAll("button")].filter((b) => !b.hidden && !b.textContent?.trim()).length,
    );
    assert.equal(unnamedButtons, 0);
  });

  let polling: Page | null = null;
  await t.test("without EventSource the page polls, and still updates without a reload", async () => {
    polling = await browser.newPage();
    polling.on("console", onConsole);
    polling.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    await polling.addInitScript(() => {
      delete (window as { EventSource?: unknown }).EventSource;
    });
    await polling.goto(`${agent.url}/`);
    await waitText(polling, "#captured", /^343$/);
    assert.equal(await polling.getAttribute("#conn", "data-state"), "polling");
    await updateStatus("timelapse", { today: { photos_captured: 344 } }, { dir: agent.statusDir });
    await waitText(polling, "#captured", /^344$/, 30_000); // polls every 5 s
    assert.match(await text(polling, "#alerts"), /capture failed: camera timeout/);
    await waitText(page, "#captured", /^344$/);
  });

  await t.test("no console errors; screenshots at phone and desktop sizes", async () => {
    assert.deepEqual(problems, []);
    mkdirSync(ARTIFACTS, { recursive: true });
    // What the owner sees first (the viewport), and the whole page.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-390x844.png") });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-390-full.png"), fullPage: true });
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.waitForTimeout(300); // the chart redraws on resize (debounced 150 ms)
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-1440x900.png") });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-1440-full.png"), fullPage: true });
    const phone = readFileSync(join(ARTIFACTS, "dashboard-390x844.png"));
    assert.equal(phone.readUInt32BE(16), 390); // PNG IHDR width
    assert.equal(readFileSync(join(ARTIFACTS, "dashboard-1440x900.png")).readUInt32BE(16), 1440);
  });

  await t.test("when the agent stops answering, the page says so and since when", async () => {
    page.off("console", onConsole); // reconnect attempts to a dead agent are expected to fail now
    appendFileSync(logFile, "2026-11-25 10:05:00,000 - timelapse - ERROR - about to go away\n");
    await agent.stop();
    await page.waitForFunction(() => !(document.getElementById("stale-banner") as HTMLElement).hidden, null, {
      timeout: 60_000,
    });
    if (polling) {
      polling.off("console", onConsole);
      await waitText(polling, "#stale-banner", /Connection lost/);
    }
    assert.match(
      await text(page, "#stale-banner"),
      /Connection lost: the device is not answering\. Data is stale since/,
    );
    assert.equal(await page.getAttribute("#conn", "data-state"), "lost");
    // The last good data stays on screen.
    assert.equal(await text(page, "#captured"), "344");
  });

  await t.test("when the agent is back, the page reconnects by itself with fresh data", async () => {
    await updateStatus(
      "timelapse",
      { status: "backing_up", today: { photos_captured: 345 } },
      { dir: agent.statusDir },
    );
    const port = Number(new URL(agent.url).port);
    const config = validateConfig(
      {
        device: { id: "pi-test", site: "lab" },
        status_dir: agent.statusDir,
        state_dir: agent.stateDir,
        http: { bind: "127.0.0.1", port, token: TOKEN },
      },
      "test",
      {},
    );
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const again = await startAgent(config, { log: quiet });
    t.after(() => again.stop());
    await waitText(page, "#captured", /^345$/, 60_000);
    await page.waitForFunction(() => (document.getElementById("stale-banner") as HTMLElement).hidden, null, {
      timeout: 60_000,
    });
    assert.notEqual(await page.getAttribute("#conn", "data-state"), "lost");
    assert.equal(await text(page, "#device-status"), "backing up");
    // The polling page recovers too.
    if (polling) {
      const p = polling as Page;
      await waitText(p, "#captured", /^345$/, 60_000);
      await p.waitForFunction(() => (document.getElementById("stale-banner") as HTMLElement).hidden, null, {
        timeout: 60_000,
      });
      assert.equal(await p.getAttribute("#conn", "data-state"), "polling");
      await p.close();
    }
  });
});

/**
 * Runs in the page: visible text elements whose colour/background contrast is under 4.5:1 (WCAG AA).
 * Plain JavaScript in a string: tsx would wrap named functions in a helper the page does not have.
 */
const LOW_CONTRAST_TEXTS = `(() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const chan = (v) => { const x = v / 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
  const lum = (c) => 0.2126 * chan(c[0]) + 0.7152 * chan(c[1]) + 0.0722 * chan(c[2]);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (!own || !el.offsetParent || el.closest("dialog:not([open]), [hidden], .skip")) continue;
    const a = lum(rgb(getComputedStyle(el).color));
    const b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) out.push(el.tagName.toLowerCase() + ' "' + el.textContent.trim().slice(0, 30) + '": ' + ratio.toFixed(2));
  }
  return out;
})()`;

/** Waits until the element's text matches; on timeout the error shows the text it had. */
async function waitText(page: Page, selector: string, re: RegExp, timeout = 30_000): Promise<string> {
  try {
    await page.waitForFunction(
      ([sel, src, flags]) =>
        new RegExp(src as string, flags as string).test(document.querySelector(sel as string)?.textContent ?? ""),
      [selector, re.source, re.flags],
      { timeout },
    );
  } catch (err) {
    throw new Error(
      `${selector} never matched ${re} (text: ${JSON.stringify(await text(page, selector))}): ${(err as Error).message}`,
    );
  }
  return text(page, selector);
}

async function text(page: Page, selector: string): Promise<string> {
  return ((await page.textContent(selector)) ?? "").trim();
}
