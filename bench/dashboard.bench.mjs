#!/usr/bin/env node
// Device dashboard: bytes transferred on a first load and time to first render, in Debian's
// Chromium (playwright-core + the DevTools protocol), for the edgewatch agent serving its built page
// (brotli/gzip precompressed, hashed assets cached as immutable) and, in the same run, a peer: the
// very same files served the way the original dashboard's `python3 api_server.py` serves `dashboard.html` — a
// plain static file server with no compression and no cache headers — with every API request
// forwarded to the same agent so the page shows the same data. The peer isolates what compression
// and caching buy; it is NOT a measurement of the original dashboard's own page (its HTML is not in the seeds).
// Each case runs on loopback and on an emulated phone on a slow link (400 kbit/s, 400 ms RTT, CPU
// slowed 4×).
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const RUNS_FAST = Number(process.env.BENCH_RUNS ?? 7);
const RUNS_SLOW = Number(process.env.BENCH_SLOW_RUNS ?? 3);
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
const SLOW = { offline: false, latency: 400, downloadThroughput: 50_000, uploadThroughput: 50_000 };

if (!existsSync(CHROMIUM)) {
  console.error("dashboard bench: /usr/bin/chromium is missing (apt-get install chromium)");
  process.exit(1);
}
if (!existsSync(join(root, "dist", "edgewatch.mjs"))) {
  const b = spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" });
  if (b.status !== 0) process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), "ew-bench-dash-"));
const web = join(work, "web");
{
  const b = spawnSync(process.execPath, [join(root, "scripts", "build-web.mjs"), "--out", web], { stdio: "inherit" });
  if (b.status !== 0) process.exit(1);
}
const children = [];
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---- a device: status fragment, a photo, and the agent ------------------------------------------
const statusDir = join(work, "status");
const photos = join(work, "photos");
mkdirSync(join(statusDir, "status.d"), { recursive: true });
mkdirSync(photos);
const browser = await chromium.launchPersistentContext(join(work, "profile"), {
  executablePath: CHROMIUM,
  args: ARGS,
  viewport: { width: 390, height: 844 },
});
{
  const p = browser.pages()[0] ?? (await browser.newPage());
  await p.setContent("<body style='background:#48a'><h1>frame</h1></body>");
  await p.setViewportSize({ width: 640, height: 480 });
  writeFileSync(join(photos, "20261125_cam_0342.jpg"), await p.screenshot({ type: "jpeg", quality: 80 }));
  await p.close();
}
const now = new Date();
writeFileSync(
  join(statusDir, "status.d", "timelapse.json"),
  JSON.stringify({
    status: "capturing",
    today: {
      date: now.toISOString().slice(0, 10),
      photos_captured: 342,
      expected_photos: 750,
      start_time: "00:00:00",
      end_time: "23:59:00",
      interval_seconds: 45,
    },
    last_capture: { time: now.toISOString(), filename: "20261125_cam_0342.jpg", success: true, duration_ms: 1234 },
  }),
);
const cfg = join(work, "agent.json");
writeFileSync(
  cfg,
  JSON.stringify({
    device: { id: "bench-cam", site: "bench" },
    status_dir: statusDir,
    state_dir: join(work, "state"),
    http: { bind: "127.0.0.1", port: 0 },
    files: { photos: [join(photos, "*.jpg")] },
  }),
);
const agent = spawn(process.execPath, [join(root, "bin", "edgewatch"), "agent", "--config", cfg, "--port", "0"], {
  env: { ...process.env, EDGEWATCH_WEB_DIR: web },
  stdio: ["ignore", "ignore", "pipe"],
});
children.push(agent);
const agentUrl = await new Promise((resolve, reject) => {
  let buf = "";
  const t = setTimeout(() => reject(new Error(`agent did not start: ${buf}`)), 60_000);
  agent.stderr.on("data", (c) => {
    buf += c;
    const m = /"url":"(http:\/\/[^"]+)"/.exec(buf);
    if (m) {
      clearTimeout(t);
      resolve(m[1]);
    }
  });
  agent.on("exit", (code) => reject(new Error(`agent exited ${code}: ${buf}`)));
});

// ---- the peer: same files, plain static serving, API forwarded to the agent --------------------
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css" };
const files = new Map();
for (const rel of ["index.html", ...readdirSync(join(web, "assets")).map((f) => `assets/${f}`)]) {
  if (rel.endsWith(".br") || rel.endsWith(".gz")) continue;
  files.set(rel === "index.html" ? "/" : `/${rel}`, { type: TYPES[extname(rel)], body: readFileSync(join(web, rel)) });
}
const agentPort = new URL(agentUrl).port;
const peer = createServer((req, res) => {
  const f = files.get(req.url);
  if (f) {
    res.writeHead(200, { "Content-Type": f.type, "Content-Length": f.body.length });
    res.end(f.body);
    return;
  }
  const up = request(
    { host: "127.0.0.1", port: agentPort, path: req.url, method: req.method, headers: req.headers },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    },
  );
  up.on("error", () => res.destroy());
  res.on("close", () => up.destroy()); // a closed page ends its forwarded event stream too
  req.pipe(up);
});
await new Promise((r) => peer.listen(0, "127.0.0.1", r));
const peerUrl = `http://127.0.0.1:${peer.address().port}`;

// ---- one page load, measured through CDP ------------------------------------------------------
async function load(url, { slow, warm }) {
  const page = await browser.newPage();
  const cdp = await browser.newCDPSession(page);
  await cdp.send("Network.enable");
  if (!warm) await cdp.send("Network.clearBrowserCache");
  if (slow) {
    await cdp.send("Network.emulateNetworkConditions", SLOW);
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  }
  let bytes = 0;
  let count = 0;
  cdp.on("Network.loadingFinished", (e) => {
    // The event stream (/api/events) never finishes loading; everything else the page fetched does.
    bytes += e.encodedDataLength;
    if (e.encodedDataLength > 0) count++; // served from the browser cache: no bytes, no request
  });
  await page.goto(url, { waitUntil: "load", timeout: 120_000 });
  const t = await page.waitForFunction(
    () => {
      const fcp = performance.getEntriesByName("first-contentful-paint")[0];
      const data = performance.getEntriesByName("ew-first-data")[0];
      const img = document.getElementById("photo");
      return fcp && data && img && img.naturalWidth > 0 ? { fcp: fcp.startTime, data: data.startTime } : null;
    },
    null,
    { timeout: 120_000, polling: 50 },
  );
  const { fcp, data } = await t.jsonValue();
  // Let the slow sections' first fetches (jobs, /api/dashboard) land before counting.
  await page.waitForTimeout(slow ? 3000 : 500);
  const result = { bytes, count, fcp, data };
  await cdp.detach().catch(() => {});
  await page.close();
  return result;
}

async function scenario(url, slow, warm) {
  const runs = [];
  const n = slow ? RUNS_SLOW : RUNS_FAST;
  for (let i = 0; i < n; i++) {
    if (warm) await load(url, { slow, warm: false }); // fill the cache first
    runs.push(await load(url, { slow, warm }));
  }
  return {
    bytes: median(runs.map((r) => r.bytes)),
    count: median(runs.map((r) => r.count)),
    fcp: median(runs.map((r) => r.fcp)),
    data: median(runs.map((r) => r.data)),
  };
}

// ---- a status write until it is on screen: the live stream vs the page's polling fallback -----
const { updateStatus } = await import(join(root, "dist", "index.js"));
const UPDATE_TRIALS = Number(process.env.BENCH_UPDATE_TRIALS ?? 7);
let photosCounter = 1000;
async function updateLatency(withSse) {
  const page = await browser.newPage();
  if (!withSse) {
    await page.addInitScript(() => {
      delete window.EventSource;
    });
  }
  await page.goto(`${agentUrl}/`, { waitUntil: "load" });
  await page.waitForFunction(() => performance.getEntriesByName("ew-first-data").length > 0, null, { timeout: 60_000 });
  const lat = [];
  for (let i = 0; i < UPDATE_TRIALS; i++) {
    const target = String(++photosCounter);
    const seen = page.evaluate(
      (want) =>
        new Promise((resolve) => {
          const el = document.getElementById("captured");
          const obs = new MutationObserver(() => {
            if (el.textContent === want) {
              obs.disconnect();
              resolve(Date.now());
            }
          });
          obs.observe(el, { childList: true, characterData: true, subtree: true });
        }),
      target,
    );
    // Write at a random moment within a polling period, so the polling page is not favoured or penalised.
    await new Promise((r) => setTimeout(r, Math.random() * 5000));
    const t0 = Date.now();
    await updateStatus("timelapse", { today: { photos_captured: Number(target) } }, { dir: statusDir });
    lat.push((await seen) - t0);
  }
  await page.close();
  return lat;
}
const sseLat = await updateLatency(true);
const pollLat = await updateLatency(false);
console.error(`dashboard bench: update latency sse ${sseLat} poll ${pollLat}`);

const results = [];
for (const slow of [false, true]) {
  for (const warm of [false, true]) {
    // Interleave the two servers so drift in machine load hits both alike.
    const e = await scenario(`${agentUrl}/`, slow, warm);
    const p = await scenario(`${peerUrl}/`, slow, warm);
    results.push({ slow, warm, e, p });
    console.error(
      `dashboard bench: slow=${slow} warm=${warm}: edgewatch ${JSON.stringify(e)} peer ${JSON.stringify(p)}`,
    );
  }
}
await browser.close();
peer.close();
agent.kill("SIGTERM");

// ---- report ----------------------------------------------------------------------------------
const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;
const ms = (x) => `${Math.round(x)} ms`;
const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
const sizes = [...files.entries()].map(([path, f]) => {
  const rel = path === "/" ? "index.html" : path.slice(1);
  return {
    path: path === "/" ? "/ (index.html)" : path.replace(/-[A-Z0-9]+\./, "-&lt;hash&gt;."),
    raw: f.body.length,
    gz: statSync(join(web, `${rel}.gz`)).size,
    br: statSync(join(web, `${rel}.br`)).size,
  };
});
const total = sizes.reduce((a, s) => ({ raw: a.raw + s.raw, gz: a.gz + s.gz, br: a.br + s.br }), {
  raw: 0,
  gz: 0,
  br: 0,
});

let out = `## Device dashboard: first-load bytes and time to first render

Debian's Chromium (playwright-core, DevTools protocol), viewport 390×844. **edgewatch**: the agent
(\`bin/edgewatch agent\`) serving its built page — brotli/gzip precompressed at build time, hashed
assets \`Cache-Control: immutable\`, \`/\` revalidated by ETag. **Peer (same run)**: the very same
files from a plain static server with no compression and no cache headers — how the original dashboard's
\`api_server.py\` serves \`dashboard.html\` as far as the seed describes it — with every API request
forwarded to the same agent, so both pages show the same data. The peer isolates what compression
and caching buy; the original dashboard's own HTML is not in the seeds, so it is not measured. "Slow phone":
400 kbit/s each way, 400 ms RTT, CPU slowed 4× (DevTools emulation). Bytes are what crossed the
wire (headers included) for every request that completed within the load (the live
\`/api/events\` stream stays open and is not counted). FCP is Chromium's first-contentful-paint;
"data on screen" is when the page had drawn the device's status from the agent's first event.
Medians of ${RUNS_FAST} loads (loopback) and ${RUNS_SLOW} loads (slow phone) per row. On loopback the
transfer itself takes no time, so time differences there are noise from the shared machine; the
slow-phone rows are where the bytes count.

| link | visit | server | requests over the network | bytes transferred | FCP | data on screen |
| --- | --- | --- | ---: | ---: | ---: | ---: |
`;
for (const r of results) {
  const link = r.slow ? "slow phone" : "loopback";
  const visit = r.warm ? "repeat" : "first";
  out += `| ${link} | ${visit} | edgewatch | ${r.e.count} | ${kb(r.e.bytes)} | ${ms(r.e.fcp)} | ${ms(r.e.data)} |\n`;
  out += `| ${link} | ${visit} | peer (no compression, no caching) | ${r.p.count} | ${kb(r.p.bytes)} | ${ms(r.p.fcp)} | ${ms(r.p.data)} |\n`;
}
out += `
Bytes are exact and repeat from run to run; times are not: this machine is shared, and other
work running alongside moves single loads by hundreds of ms (medians of 3 on the slow link are
coarse). In some runs FCP on a repeat visit over the slow link came out slower for edgewatch
(0.8–1.7 s seen): its script is then in the cache and probably runs before the first paint under
the 4× CPU slowdown, while the peer paints while its script is still downloading. Not investigated
further.

Ratios (edgewatch ÷ peer, same run):

| link | visit | bytes | FCP | data on screen |
| --- | --- | ---: | ---: | ---: |
`;
for (const r of results) {
  out += `| ${r.slow ? "slow phone" : "loopback"} | ${r.warm ? "repeat" : "first"} | ${ratio(r.e.bytes, r.p.bytes)} | ${ratio(r.e.fcp, r.p.fcp)} | ${ratio(r.e.data, r.p.data)} |\n`;
}
out += `
A status change written through the protocol (\`updateStatus\`, one fragment rename) until the
page shows it, on loopback, ${UPDATE_TRIALS} writes at random moments each, same page and agent:

| page fed by | median | max |
| --- | ---: | ---: |
| \`/api/events\` (Server-Sent Events, edgewatch's default) | ${ms(median(sseLat))} | ${ms(Math.max(...sseLat))} |
| polling \`/status\` every 5 s (the page's fallback without EventSource) | ${ms(median(pollLat))} | ${ms(Math.max(...pollLat))} |

Stream ÷ polling (median): ${(median(sseLat) / median(pollLat)).toFixed(4)}× (the stream is
${Math.round(median(pollLat) / Math.max(1, median(sseLat)))}× quicker). The original dashboard's page refreshes every
30 s; at that rate the expected wait is 15 s and the worst 30 s (not measured here: same mechanism
as the 5 s row, six times slower).

Asset sizes of this build (the page is vanilla TypeScript plus uPlot for the chart; the photo and the
JSON the page fetches are extra):

| file | raw | gzip -9 | brotli q11 |
| --- | ---: | ---: | ---: |
${sizes.map((s) => `| ${s.path} | ${kb(s.raw)} | ${kb(s.gz)} | ${kb(s.br)} |`).join("\n")}
| **total** | ${kb(total.raw)} | ${kb(total.gz)} | ${kb(total.br)} |
`;
process.stdout.write(out);
process.exit(0);
