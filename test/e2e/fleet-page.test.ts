// The fleet page in Debian's Chromium against a real hub and real agent processes: every device
// listed; a killed agent's card turns down live; a silence made on the page stops the next
// notification; control needs the admin token and reaches the agent; no console errors; no serious
// accessibility violation (axe-core); usable by keyboard alone; screenshots at phone and desktop size.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { updateStatus } from "../../src/index.ts";
import { webhookServer } from "../agent/notify/contracts.ts";
import { tempDir } from "../helpers/tools.ts";
import { ADMIN, type Agent, api, ENROLL_KEY, hubConfig, startAgent, startHub, waitFor } from "../hub/helpers.ts";
import { launchChromium } from "./helpers/browser.ts";
import { buildWeb, withEnv } from "./helpers/web.ts";

const VIEWER = "viewer-token-for-tests-0123456789";
const OFFLINE_AFTER_S = 3;
const SHOTS = join(process.cwd(), "test-results", "fleet");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** An agent enrolled to the hub, with a camera test (writes a frame) it can run when the hub asks. */
function agentYaml(dir: string, id: string, site: string, tags: string[], hubUrl: string): string {
  const f = join(dir, "agent.yaml");
  writeFileSync(
    f,
    `device: { id: ${id}, site: ${site}, tags: [${tags.join(", ")}] }
status_dir: ${join(dir, "status")}
state_dir: ${join(dir, "state")}
http: { bind: 127.0.0.1, port: 0 }
collectors: { sys_root: "${join(dir, "sys")}", system: { interval: 1s } }
recovery:
  sd_notify: false
  camera_test: { type: camera, argv: ["sh", "-c", 'printf "\\377\\330jpeg" > "$0"; echo frame written', "${join(dir, "test.jpg")}"], expect_file: "${join(dir, "test.jpg")}", timeout: 10s }
hub: { url: "${hubUrl}", enroll_key: ${ENROLL_KEY}, interval: 1s, thumbnail_file: "${join(dir, "thumb.jpg")}", thumbnail_every: 1s }
`,
  );
  return f;
}

/** Serious and critical axe-core violations of the page as it is now. */
async function axe(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const r = await (
      window as unknown as {
        axe: {
          run(o: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe.run({ resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, at: v.nodes.map((n) => n.target.join(" ")) }));
  });
  return found.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} at ${v.at}`);
}

test("fleet page: every device, live down, silence from the page, control with the admin token only, a11y, keyboard, screenshots", {
  timeout: 600_000,
}, async (t) => {
  const browser = await launchChromium(t, { width: 390, height: 844 });
  if (!browser) return;
  withEnv(t, "EDGEWATCH_WEB_DIR", buildWeb(t));
  const dir = tempDir(t, "ew-fleet-page-");
  const hook = await webhookServer(t);
  const hub = await startHub(
    t,
    hubConfig(
      join(dir, "hub"),
      `offline_after: ${OFFLINE_AFTER_S}s
viewer_token: ${VIEWER}
notify:
  min_level: info
  channels: [{ type: webhook, url: "${hook.url}/hook" }]
  outbox: { backoff_initial: 100ms, backoff_max: 500ms, summary_after: 1000 }`,
    ),
  );
  const agents = new Map<string, Agent>();
  const painter = await browser.newPage();
  for (const [id, site, tags, photos, sky] of [
    ["cam-1", "gym", ["indoor"], 412, "#7aa7d8"],
    ["cam-2", "gym", ["indoor", "timelapse"], 388, "#d8a27a"],
    ["cam-3", "roof", ["outdoor"], 97, "#8fc79a"],
  ] as const) {
    const d = join(dir, id);
    mkdirSync(join(d, "status"), { recursive: true });
    // A small JPEG the agent sends as its thumbnail, and what its capture program reports.
    await painter.setViewportSize({ width: 160, height: 120 });
    await painter.setContent(
      `<body style="margin:0;height:120px;background:linear-gradient(${sky},#334)"><p style="font:20px sans-serif;color:#fff;padding:8px">${id}</p></body>`,
    );
    writeFileSync(join(d, "thumb.jpg"), await painter.screenshot({ type: "jpeg", quality: 70 }));
    await updateStatus(
      "timelapse",
      {
        status: "capturing",
        today: { photos_captured: photos, expected_photos: 720 },
        last_capture: { time: new Date().toISOString(), success: true },
      },
      { dir: join(d, "status") },
    );
    // A thermal zone for the agent's thermal collector (millidegrees, as the kernel writes them).
    const zone = join(d, "sys", "class", "thermal", "thermal_zone0");
    mkdirSync(zone, { recursive: true });
    writeFileSync(join(zone, "type"), "cpu-thermal\n");
    writeFileSync(join(zone, "temp"), `${46_000 + photos * 10}\n`);
    agents.set(id, await startAgent(t, d, id, agentYaml(d, id, site, [...tags], hub.url)));
  }
  await painter.close();
  const viewer = { Authorization: `Bearer ${VIEWER}` };
  const admin = { Authorization: `Bearer ${ADMIN}` };
  await waitFor("three devices up", async () => {
    const r = await api<{ state: string }[]>(`${hub.url}/api/v1/devices`, { headers: viewer });
    return r.status === 200 && r.body.filter((d) => d.state === "up").length === 3;
  });

  const page = browser.pages()[0] ?? (await browser.newPage());
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));

  // Without a token the page asks for one (it asks the hub first, so no request is refused).
  await page.goto(`${hub.url}/`);
  await page.getByText("This hub needs a token to be read").waitFor({ timeout: 60_000 });

  // A viewer token pasted in the settings: every device of the hub, problems first.
  await page.getByRole("button", { name: /^Access: / }).click();
  await page.getByLabel("Viewer or admin token").fill(VIEWER);
  await page.getByRole("button", { name: "Use this token" }).click();
  await page.waitForFunction(() => document.querySelectorAll("a.card").length === 3, null, { timeout: 60_000 });
  assert.deepEqual(await page.$$eval("a.card", (l) => l.map((a) => a.getAttribute("data-id"))), [
    "cam-1",
    "cam-2",
    "cam-3",
  ]);
  assert.match((await page.textContent(".summary")) ?? "", /3 devices[\s\S]*3\s*up[\s\S]*0\s*down/);
  // What the device reports, as pushed: its status, today's photos against the target, its temperature.
  await page.waitForFunction(
    () =>
      /capturing[\s\S]*412 \/ 720[\s\S]*50 °C/.test(
        document.querySelector('a.card[data-id="cam-1"]')?.textContent ?? "",
      ),
    null,
    { timeout: 60_000 },
  );
  // The thumbnail is fetched with the token (an <img src> could not send it).
  await page.waitForFunction(
    () => (document.querySelector('a.card[data-id="cam-3"] img') as HTMLImageElement | null)?.naturalWidth === 160,
    null,
    { timeout: 60_000 },
  );

  // A new photo count on the device reaches its card live.
  await updateStatus(
    "timelapse",
    { today: { photos_captured: 413, expected_photos: 720 } },
    { dir: join(dir, "cam-1", "status") },
  );
  await page.waitForFunction(
    () => document.querySelector('a.card[data-id="cam-1"]')?.textContent?.includes("413 / 720"),
    null,
    { timeout: 60_000 },
  );

  // Kill cam-2: its card turns down with no reload, and moves first.
  await page.evaluate(() => {
    (window as unknown as { stillHere: boolean }).stillHere = true;
  });
  const killedAt = Date.now();
  await (agents.get("cam-2") as Agent).kill("SIGKILL");
  await page.waitForSelector('a.card[data-id="cam-2"][data-state="down"]', { timeout: 60_000 });
  const shownAt = Date.now();
  assert.equal(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere), true, "no reload");
  const d2 = await api<{ state: string; since: string; last_seen: string }>(`${hub.url}/api/v1/devices/cam-2`, {
    headers: viewer,
  });
  assert.equal(d2.body.state, "down");
  t.diagnostic(
    `cam-2 shown down ${shownAt - Date.parse(d2.body.since)} ms after the hub marked it down, ` +
      `${shownAt - Date.parse(d2.body.last_seen)} ms after its last push (offline_after ${OFFLINE_AFTER_S} s), ${shownAt - killedAt} ms after the kill`,
  );
  assert.equal(await page.getAttribute("a.card >> nth=0", "data-id"), "cam-2", "the down device comes first");
  await waitFor("the hub's down notification for cam-2", () =>
    hook.accepted.some((r) => r.json.alert?.rule === "device_down" && r.json.device_id === "cam-2"),
  );

  // Screenshots (kept as test artifacts) and accessibility, on a phone and on a desktop.
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, "fleet-phone.png") });
  assert.deepEqual(await axe(page), [], "no serious or critical axe violation (phone)");
  await page.emulateMedia({ colorScheme: "dark" });
  assert.deepEqual(await axe(page), [], "no serious or critical axe violation (phone, dark)");
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.screenshot({ path: join(SHOTS, "fleet-desktop.png") });
  assert.deepEqual(await axe(page), [], "no serious or critical axe violation (desktop)");
  await page.setViewportSize({ width: 390, height: 844 });

  // Keyboard only: Tab reaches a card, Enter opens its detail, whose heading gets the focus.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  let onCard = false;
  for (let i = 0; i < 40 && !onCard; i++) {
    await page.keyboard.press("Tab");
    onCard = await page.evaluate(() => document.activeElement?.matches("a.card") ?? false);
  }
  assert.ok(onCard, "Tab reaches a device card");
  const focused = await page.evaluate(() => document.activeElement?.getAttribute("data-id"));
  await page.keyboard.press("Enter");
  await page.waitForFunction((id) => document.activeElement?.textContent === id, focused, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => location.hash), `#/device/${focused}`);
  await page.getByRole("heading", { name: "History" }).waitFor();
  assert.deepEqual(await axe(page), [], "no serious or critical axe violation (device detail)");

  // Control with the viewer token: the buttons are disabled and say why; the hub refuses anyway.
  await page.goto(`${hub.url}/#/device/cam-1`);
  await page.getByRole("heading", { name: "Control" }).waitFor({ timeout: 60_000 });
  const testButton = page.getByRole("button", { name: "Test camera" });
  assert.equal(await testButton.isDisabled(), true);
  assert.match((await page.textContent("#control-why")) ?? "", /Needs the admin token/);
  const asViewer = await page.evaluate(async (token) => {
    const r = await fetch("/api/v1/devices/cam-1/commands", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ action: "test_camera", args: {} }),
    });
    return r.status;
  }, VIEWER);
  assert.ok(asViewer === 401 || asViewer === 403, `a viewer's command is refused (got ${asViewer})`);
  for (const e of errors.splice(0)) assert.match(e, /40[13]/, "only the refused request was logged");

  // The admin token enables the controls.
  await page.getByRole("button", { name: /^Access: / }).click();
  await page.getByLabel("Viewer or admin token").fill(ADMIN);
  await page.getByRole("button", { name: "Use this token" }).click();
  await testButton.waitFor();
  await waitFor("the control buttons are enabled", async () => !(await testButton.isDisabled()), 30_000);
  // A silence made on the page for cam-3: its down alert is recorded, nobody is notified.
  await page.goto(`${hub.url}/#/device/cam-3`);
  await page.getByRole("heading", { name: "Silences and maintenance" }).waitFor({ timeout: 60_000 });
  await page.getByLabel("Silence", { exact: true }).selectOption({ label: "this device (cam-3)" });
  await page.getByLabel("For", { exact: true }).selectOption("1h");
  await page.getByLabel("Why").fill("moving the camera");
  await page.getByRole("button", { name: "Silence", exact: true }).click();
  await page.getByText(/device cam-3:.*moving the camera/).waitFor({ timeout: 30_000 });
  const silences = await api<{ device: string | null }[]>(`${hub.url}/api/v1/silences`, { headers: viewer });
  assert.deepEqual(
    silences.body.map((s) => s.device),
    ["cam-3"],
  );
  const before = hook.accepted.length;
  await (agents.get("cam-3") as Agent).kill("SIGKILL");
  await waitFor("the hub records cam-3 down (silenced)", async () => {
    const r = await api<{ kind: string; subject: string; state: string; notified: boolean }[]>(
      `${hub.url}/api/v1/alerts?state=firing`,
      { headers: viewer },
    );
    return r.body.find((a) => a.kind === "device_down" && a.subject === "cam-3");
  });
  await page.goto(`${hub.url}/`);
  await page.waitForSelector('a.card[data-id="cam-3"][data-state="down"]', { timeout: 60_000 });
  // The outbox retries every ≤ 0.5 s: give a notification that should not exist time to arrive.
  await new Promise((r) => setTimeout(r, 3000));
  assert.deepEqual(
    hook.accepted.slice(before).filter((r) => JSON.stringify(r.json).includes("cam-3")),
    [],
    "no notification for the silenced device",
  );

  // Back to cam-1: the camera test runs on the agent, its state goes to done, both audit logs have it.
  await page.goto(`${hub.url}/#/device/cam-1`);
  await testButton.click();
  await page.waitForSelector('li[data-command="test_camera"] .pill:text("done")', { timeout: 60_000 });
  const audit = await api<{ action: string; target: string }[]>(`${hub.url}/api/v1/audit?limit=50`, { headers: admin });
  assert.ok(
    audit.body.some((e) => e.target === "cam-1" && /test_camera/.test(JSON.stringify(e))),
    `hub audit: ${audit.text.slice(0, 500)}`,
  );
  const agentAudit = readFileSync(join(dir, "cam-1", "state", "recovery", "audit.log"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { action: string; result: string });
  assert.ok(
    agentAudit.some((l) => l.action === "hub_test_camera" && l.result === "ok"),
    `the agent's audit log has the command: ${JSON.stringify(agentAudit)}`,
  );

  // The detail shows the device's charts, and the recovery log has the command the agent ran.
  await page.goto(`${hub.url}/#/device/cam-1`);
  await page.locator('figure:has(figcaption:text-is("CPU and memory")) canvas').first().waitFor({ timeout: 60_000 });
  await waitFor("the command in the recovery log", async () => {
    await page.reload();
    return page
      .locator("section:has(#h-recovery)")
      .getByText(/test_camera: requested through the hub: ok/)
      .first()
      .waitFor({ timeout: 5000 })
      .then(() => true)
      .catch(() => false);
  });

  await page.screenshot({ path: join(SHOTS, "fleet-device-phone.png"), fullPage: true });

  // Share links: made on the page, opened in a new tab, the token leaves the address bar at once.
  await page.getByRole("link", { name: "Sharing" }).click();
  await page.getByLabel("Who is it for").fill("night shift");
  await page.getByLabel("Expires after").selectOption("1d");
  await page.getByRole("button", { name: "Create a link" }).click();
  const link = await page.locator("#sh-url").inputValue({ timeout: 30_000 });
  assert.match(link, /\/#share=\S+$/);
  assert.deepEqual(await axe(page), [], "no serious or critical axe violation (sharing)");
  const shared = await browser.newPage();
  shared.on("console", (m) => {
    if (m.type() === "error") errors.push(`shared tab: ${m.text()}`);
  });
  await shared.goto(link);
  await shared.waitForFunction(() => document.querySelectorAll("a.card").length === 3, null, { timeout: 60_000 });
  assert.equal(new URL(shared.url()).hash, "", "the token is gone from the address bar");
  assert.match((await shared.textContent(".settings-btn")) ?? "", /shared view/);
  await shared.close();
  await page.getByRole("button", { name: "Revoke the link for night shift" }).click();
  await page.getByText("No share link yet.").waitFor({ timeout: 30_000 });

  await page.getByRole("link", { name: "Silences" }).click();
  await page.getByText(/device cam-3:.*moving the camera/).waitFor({ timeout: 30_000 });
  assert.deepEqual(await axe(page), [], "no serious or critical axe violation (silences)");
  await page.getByRole("button", { name: /^Access: / }).click();
  assert.deepEqual(await axe(page), [], "no serious or critical axe violation (access dialog)");
  await page.keyboard.press("Escape");

  assert.deepEqual(errors, [], "no console errors");

  // The hub goes away: the page says its picture is stale, since when, and keeps trying.
  await page.getByRole("link", { name: "Devices", exact: true }).click();
  await page.waitForSelector('a.card[data-id="cam-1"]');
  assert.equal(await page.locator('[data-testid="stale"]').count(), 0, "no stale banner while live");
  // A hub that stops answering but keeps the connection open (SIGSTOP): no byte for 35 s is stale too.
  hub.child.kill("SIGSTOP");
  try {
    await page.getByText(/Stale: .*no data from the hub for 35 s/).waitFor({ timeout: 90_000 });
  } finally {
    hub.child.kill("SIGCONT");
  }
  await page.locator('[data-testid="stale"]').waitFor({ state: "detached", timeout: 90_000 });
  await hub.kill("SIGKILL");
  const banner = page.locator('[data-testid="stale"]');
  await banner.waitFor({ timeout: 60_000 });
  assert.match((await banner.textContent()) ?? "", /Stale: last update at \d{1,2}:\d{2}:\d{2}.*reconnecting/);
  assert.equal(await page.getAttribute('a.card[data-id="cam-1"]', "data-state"), "up", "the last picture stays");
});
