#!/usr/bin/env node
// Fleet page: a hub with 200 simulated devices (enrolled and pushing over HTTP, as agents do), its
// fleet page loaded in Debian's Chromium on a slow-phone profile, then one live update of all 200
// devices; beside it, in the same run and on the same profile, the device page of one agent loaded
// and updated once. Measured through the DevTools protocol: bytes over the wire, time to data on
// screen, and scripting time (Performance.getMetrics ScriptDuration) with the CPU slowed 4×.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const DEVICES = Number(process.env.BENCH_DEVICES ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
// A slow phone: ~1.6 Mbit/s down, 750 kbit/s up, 150 ms RTT; the CPU slowed 4×.
const SLOW = { offline: false, latency: 150, downloadThroughput: 200_000, uploadThroughput: 93_750 };
const CPU = 4;
const ENROLL_KEY = "bench-enroll-key-0123456789abcdef";
const ADMIN = "bench-admin-token-0123456789abcdef";

if (!existsSync(CHROMIUM)) {
  console.error("fleet-page bench: /usr/bin/chromium is missing (apt-get install chromium)");
  process.exit(1);
}
if (!existsSync(join(root, "dist", "edgewatch.mjs"))) {
  const b = spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" });
  if (b.status !== 0) process.exit(1);
}
const work = mkdtempSync(join(tmpdir(), "ew-bench-fleet-"));
const web = join(work, "web");
{
  const b = spawnSync(process.execPath, [join(root, "scripts", "build-web.mjs"), "--out", web], { stdio: "inherit" });
  if (b.status !== 0) process.exit(1);
}
const children = [];
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
});
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Starts `edgewatch <args>` and resolves with the URL it logs once listening. */
function start(args, what) {
  const child = spawn(process.execPath, [join(root, "bin", "edgewatch"), ...args], {
    env: { ...process.env, EDGEWATCH_WEB_DIR: web },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let buf = "";
    const t = setTimeout(() => reject(new Error(`${what} did not start: ${buf}`)), 60_000);
    const on = (c) => {
      buf += c;
      const m = /"url":"(http:\/\/[^"]+)"/.exec(buf) ?? /listening on (http:\/\/\S+)/.exec(buf);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    };
    child.stdout.on("data", on);
    child.stderr.on("data", on);
    child.on("exit", (code) => reject(new Error(`${what} exited ${code}: ${buf}`)));
  });
}

// ---- the hub and 200 simulated devices -------------------------------------------------------
const hubCfg = join(work, "hub.yaml");
writeFileSync(
  hubCfg,
  `state_dir: ${join(work, "hub")}
enroll_key: ${ENROLL_KEY}
admin_token: ${ADMIN}
offline_after: 1h
http: { bind: 127.0.0.1 }
ingest: { commit_interval: 20ms, enroll_per_minute: 100000 }
`,
);
const hubUrl = await start(["hub", "--config", hubCfg, "--port", "0"], "hub");
const post = async (path, token, body) => {
  const r = await fetch(`${hubUrl}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
};
const SITES = ["north", "south", "east", "west", "depot", "gym", "roof", "barn"];
const devices = [];
for (let i = 0; i < DEVICES; i++) {
  const id = `cam-${String(i + 1).padStart(3, "0")}`;
  const site = SITES[i % SITES.length];
  devices.push({ id, site, seq: 0, token: "" });
}
async function inBatches(list, n, fn) {
  for (let i = 0; i < list.length; i += n) await Promise.all(list.slice(i, i + n).map(fn));
}
await inBatches(devices, 20, async (d) => {
  const r = await post("/api/v1/enroll", ENROLL_KEY, { id: d.id, site: d.site, tags: ["bench"], interval: 3600 });
  d.token = r.token;
});
/** One push per device: a timelapse status document and a sample of each charted key. */
async function pushAll(photos) {
  const now = Date.now();
  await inBatches(devices, 20, (d, i) =>
    post("/api/v1/push", d.token, {
      boot_id: `bench-${d.id}`,
      seq: ++d.seq,
      sent_at: now,
      interval: 3600,
      status: {
        status: "capturing",
        today: { date: new Date(now).toISOString().slice(0, 10), photos_captured: photos, expected_photos: 720 },
        last_capture: { time: new Date(now).toISOString(), success: true },
        disk_percent: 40 + (i % 50),
        disk_free_bytes: 20e9 - i * 5e7,
      },
      samples: [
        {
          t: now,
          v: {
            "system.cpu_usage_ratio": 0.2 + (i % 10) / 50,
            "system.memory_usage_ratio": 0.4,
            "thermal.cpu_temperature_celsius": 48 + (i % 7),
          },
        },
      ],
    }),
  );
}
await pushAll(100);

// What the stream's first frame (the snapshot) weighs as text, gzipped (as the hub sends it) and with brotli.
const { gzipSync, brotliCompressSync } = await import("node:zlib");
const snapshot = await (async () => {
  const ctrl = new AbortController();
  const res = await fetch(`${hubUrl}/api/v1/stream`, { signal: ctrl.signal });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  while (!buf.includes("\n\n")) buf += (await reader.read()).value ?? "";
  ctrl.abort();
  return Buffer.from(buf.slice(0, buf.indexOf("\n\n") + 2));
})();
const snap = { raw: snapshot.length, gzip: gzipSync(snapshot).length, br: brotliCompressSync(snapshot).length };

// ---- one agent for the device page -----------------------------------------------------------
const statusDir = join(work, "status");
mkdirSync(join(statusDir, "status.d"), { recursive: true });
const writeFragment = (photos) =>
  writeFileSync(
    join(statusDir, "status.d", "timelapse.json"),
    JSON.stringify({
      status: "capturing",
      today: { date: new Date().toISOString().slice(0, 10), photos_captured: photos, expected_photos: 720 },
      last_capture: { time: new Date().toISOString(), success: true },
    }),
  );
writeFragment(100);
const agentCfg = join(work, "agent.json");
writeFileSync(
  agentCfg,
  JSON.stringify({
    device: { id: "bench-cam", site: "bench" },
    status_dir: statusDir,
    state_dir: join(work, "agent-state"),
    http: { bind: "127.0.0.1", port: 0 },
  }),
);
const agentUrl = await start(["agent", "--config", agentCfg, "--port", "0"], "agent");
const { updateStatus } = await import(join(root, "dist", "index.js"));

// ---- measuring -------------------------------------------------------------------------------
const browser = await chromium.launchPersistentContext(join(work, "profile"), {
  executablePath: CHROMIUM,
  args: ARGS,
  viewport: { width: 390, height: 844 },
});

/** Opens a page on the slow profile with a cold cache; counts bytes per request. */
async function open() {
  const page = await browser.newPage();
  const cdp = await browser.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Performance.enable");
  await cdp.send("Network.clearBrowserCache");
  await cdp.send("Network.emulateNetworkConditions", SLOW);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU });
  const reqs = new Map(); // requestId → { url, finished bytes | streamed bytes }
  cdp.on("Network.requestWillBeSent", (e) => reqs.set(e.requestId, { url: e.request.url, bytes: 0, done: false }));
  cdp.on("Network.responseReceived", (e) => {
    const r = reqs.get(e.requestId);
    if (r) r.headers = e.response.encodedDataLength ?? 0;
  });
  cdp.on("Network.dataReceived", (e) => {
    const r = reqs.get(e.requestId);
    if (r && !r.done) r.bytes += e.encodedDataLength;
  });
  cdp.on("Network.loadingFinished", (e) => {
    const r = reqs.get(e.requestId);
    if (r) Object.assign(r, { bytes: e.encodedDataLength, done: true });
  });
  const size = (r) => r.bytes + (r.done ? 0 : (r.headers ?? 0));
  const isStream = (r) => /\/api\/v1\/stream|\/api\/events/.test(r.url);
  const bytes = () => [...reqs.values()].reduce((n, r) => n + size(r), 0);
  const streamBytes = () => [...reqs.values()].filter(isStream).reduce((n, r) => n + size(r), 0);
  const script = async () => {
    const { metrics } = await cdp.send("Performance.getMetrics");
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
    return {
      script: m.ScriptDuration * 1000,
      task: m.TaskDuration * 1000,
      layout: (m.LayoutDuration + m.RecalcStyleDuration) * 1000,
    };
  };
  return { page, cdp, bytes, streamBytes, script, close: () => page.close() };
}

async function firstLoad(url, ready) {
  const s = await open();
  await s.page.goto(url, { waitUntil: "commit", timeout: 120_000 });
  await s.page.waitForFunction(ready, null, { timeout: 180_000, polling: 100 });
  const data = await s.page.evaluate(() => performance.getEntriesByName("ew-first-data")[0]?.startTime ?? Number.NaN);
  const r = { bytes: s.bytes(), stream: s.streamBytes(), data, ...(await s.script()) };
  return { s, r };
}

const fleetReady = new Function(`return document.querySelectorAll("a.card").length === ${DEVICES}`);
const deviceReady = () => document.getElementById("captured")?.textContent !== "—";

const fleet = [];
const device = [];
let photos = 100;
for (let i = 0; i < RUNS; i++) {
  // The fleet page: first load, then all 200 devices push a new photo count.
  {
    const { s, r } = await firstLoad(`${hubUrl}/`, fleetReady);
    await s.page.waitForTimeout(1000);
    const before = await s.script();
    const want = String(++photos);
    const t0 = Date.now();
    await pushAll(Number(want));
    const pushed = Date.now() - t0;
    // No DOM polling while the page works (it would count as the page's scripting): wait until it
    // has applied no stream message for 1 s, then check every card once.
    const marks = () => s.page.evaluate(() => performance.getEntriesByName("ew-update").length);
    const lastMark = () =>
      s.page.evaluate(
        () => performance.timeOrigin + (performance.getEntriesByName("ew-update").at(-1)?.startTime ?? 0),
      );
    let last = await marks();
    let lastAt = Date.now();
    let settledAt = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 200));
      const n = await marks();
      if (n !== last) [last, lastAt] = [n, Date.now()];
      else if (Date.now() - lastAt >= 1000) {
        const all = await s.page.evaluate(
          (w) => [...document.querySelectorAll("a.card")].filter((c) => c.textContent.includes(`${w} / 720`)).length,
          want,
        );
        if (all === DEVICES) {
          settledAt = await lastMark();
          break;
        }
        if (Date.now() - t0 > 180_000) throw new Error(`only ${all} of ${DEVICES} cards show ${want}`);
      }
    }
    const seen = settledAt - t0;
    const after = await s.script();
    fleet.push({
      ...r,
      updScript: after.script - before.script,
      updTask: after.task - before.task,
      updLayout: after.layout - before.layout,
      updSeen: seen,
      pushed,
      lag: seen - pushed,
    });
    await s.close();
  }
  // The device page: first load, then one status change.
  {
    const { s, r } = await firstLoad(`${agentUrl}/`, deviceReady);
    await s.page.waitForTimeout(1000);
    const before = await s.script();
    const want = String(++photos);
    const t0 = Date.now();
    await updateStatus("timelapse", { today: { photos_captured: Number(want) } }, { dir: statusDir });
    await s.page.waitForFunction((w) => document.getElementById("captured")?.textContent === w, want, {
      timeout: 120_000,
      polling: 250,
    });
    const seen = Date.now() - t0;
    const after = await s.script();
    device.push({
      ...r,
      updScript: after.script - before.script,
      updTask: after.task - before.task,
      updLayout: after.layout - before.layout,
      updSeen: seen,
    });
    await s.close();
  }
  console.error(
    `fleet-page bench: run ${i + 1}: fleet ${JSON.stringify(fleet.at(-1))} device ${JSON.stringify(device.at(-1))}`,
  );
}
await browser.close();

// ---- report ----------------------------------------------------------------------------------
const med = (list, k) => median(list.map((x) => x[k]));
const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;
const ms = (x) => `${Math.round(x)} ms`;
const row = (name, k, f) =>
  `| ${name} | ${f(med(fleet, k))} | ${f(med(device, k))} | ${(med(fleet, k) / med(device, k)).toFixed(1)}× |`;
const out = `## Fleet page: ${DEVICES} devices on a slow phone, beside the device page

Debian's Chromium (playwright-core, DevTools protocol), viewport 390×844, a **slow phone**: about
1.6 Mbit/s down, 750 kbit/s up, 150 ms RTT (\`Network.emulateNetworkConditions\`) and the CPU slowed
${CPU}× (\`Emulation.setCPUThrottlingRate\`), cold cache. **Fleet page**: \`edgewatch hub\` with ${DEVICES}
simulated devices (enrolled and pushing over HTTP, one status document and one sample each), its page
at \`/\` fed by \`GET /api/v1/stream\`. **Device page (same run, same profile)**: one \`edgewatch agent\`
serving its own page, fed by its \`/api/events\`. Both pages are precompressed (brotli), hashed and
immutable, with their CSS inlined.

- *bytes*: everything that crossed the wire until the data was on screen (headers included; the open
  event stream counted as far as it had come — for the fleet page it carries the ${DEVICES}-device snapshot).
- *data on screen*: the page's \`ew-first-data\` mark (set after the first data was rendered), from
  navigation start.
- *scripting, first load*: \`ScriptDuration\` (DevTools \`Performance.getMetrics\`) when the data was on screen.
- *live update*: the fleet page: every one of the ${DEVICES} devices pushes a new photo count (20
  pushes at a time over HTTP), until the page applied the last stream message (then every card is
  checked once); the device page: one status write, until the page shows it. Scripting, task and
  layout+style time are the \`Performance.getMetrics\` differences across the update.

Medians of ${RUNS} runs; the two pages were measured alternately in each run so machine load hits both alike.

| | fleet page (${DEVICES} devices) | device page (1 device) | fleet ÷ device |
| --- | ---: | ---: | ---: |
${row("first load: bytes", "bytes", kb)}
${row("… of which the event stream", "stream", kb)}
${row("first load: data on screen", "data", ms)}
${row("first load: scripting", "script", ms)}
${row("live update: scripting", "updScript", ms)}
${row("live update: all tasks", "updTask", ms)}
${row("live update: layout + style", "updLayout", ms)}
${row("live update: write → on screen", "updSeen", ms)}

The hub gzips the stream for clients that accept it (every browser), flushed after each frame: its
first frame, the snapshot of ${DEVICES} devices, is ${kb(snap.raw)} of JSON and about ${kb(snap.gzip)} on the wire
(brotli would make it ${kb(snap.br)}; these simulated devices are much alike, so real ones compress less
well). Of the fleet page's "write → on screen", the
${DEVICES} pushes themselves took ${ms(med(fleet, "pushed"))} to be accepted by the hub (20 at a time); the page
had applied the last of them ${ms(med(fleet, "lag"))} after the last push was answered (medians).

Per device, the fleet page's live update cost ${(med(fleet, "updScript") / DEVICES).toFixed(2)} ms of scripting
(the stream's messages are applied once per animation frame, and a card re-renders only when its own
device changed). This machine is shared with other work (2 cores): single figures move by tens of
percent between runs; the ratios beside the device page are what to read.
`;
process.stdout.write(out);
process.exit(0);
