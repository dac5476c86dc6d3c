// The device dashboard. Vanilla TypeScript + uPlot. Live through /api/events (Server-Sent Events),
// polling when the stream is unavailable, and a visible "connection lost / stale since" state.
// This file wires the page: the link to the agent (../shared/transport.ts) fills the page's data
// (./state.ts), and each section (./sections/) draws itself from that data.
import "uplot/dist/uPlot.min.css";
import "../shared/base.css";
import "./style.css";
import { $, isObj, type Obj } from "../shared/dom.ts";
import { getJson, LiveLink } from "../shared/transport.ts";
import { renderAlerts } from "./sections/alerts.ts";
import { renderCamera } from "./sections/camera.ts";
import { drawChart, loadHistory, sampleToChart } from "./sections/chart.ts";
import { renderConn } from "./sections/conn.ts";
import { control, renderControls, showResult, TOKEN_KEY } from "./sections/control.ts";
import { renderHeader } from "./sections/header.ts";
import { renderJobs } from "./sections/jobs.ts";
import { renderLogs } from "./sections/logs.ts";
import { renderPipeline } from "./sections/pipeline.ts";
import { renderProcesses } from "./sections/processes.ts";
import { renderRedis } from "./sections/redis.ts";
import { renderResources } from "./sections/resources.ts";
import { renderSystem } from "./sections/system.ts";
import { renderAges, renderToday } from "./sections/today.ts";
import { type Alert, type Collector, state } from "./state.ts";

const POLL_MS = 5000;
/** No frame (the server pings every 15 s) for this long → the link is presumed dead. */
const STALE_MS = 35_000;
const SLOW_REFRESH_MS = 15_000;

function renderAll(): void {
  renderHeader();
  renderToday();
  renderPipeline();
  renderResources();
  renderCamera();
  renderRedis();
  renderProcesses();
  renderSystem();
  renderAlerts();
  renderJobs();
}

let slowStarted = false;
function startSlow(): void {
  // The slow sections wait for the first data: the snapshot says which of them this agent serves.
  if (slowStarted) return;
  slowStarted = true;
  void refreshSlow();
}

function markFirstData(): void {
  // When the device's data was first on screen (read by bench/dashboard.bench.mjs).
  if (performance.getEntriesByName("ew-first-data").length === 0) performance.mark("ew-first-data");
}

function applySnapshot(s: Obj): void {
  if (isObj(s.document)) state.doc = s.document;
  if (isObj(s.features)) {
    state.features = { photos: s.features.photos === true, logs: s.features.logs === true };
    state.recoveryAvailable = s.features.recovery === true;
    const c = s.features.control;
    if (isObj(c))
      state.control = {
        token: c.token === true,
        actions: isObj(c.actions) ? (Object.fromEntries(Object.entries(c.actions)) as Record<string, boolean>) : {},
      };
    renderControls();
  }
  startSlow();
  const firstData = performance.getEntriesByName("ew-first-data").length === 0;
  if (typeof s.server_time === "string") state.serverSkewMs = Date.now() - Date.parse(s.server_time);
  if (isObj(s.collectors)) {
    state.collectors.clear();
    for (const [k, v] of Object.entries(s.collectors)) if (isObj(v)) state.collectors.set(k, v as unknown as Collector);
  }
  if (Array.isArray(s.alerts)) {
    state.alerts.clear();
    for (const a of s.alerts) if (isObj(a) && typeof a.id === "string") state.alerts.set(a.id, a as unknown as Alert);
  }
  renderAll();
  const sys = state.collectors.get("system");
  if (sys) sampleToChart(sys);
  if (firstData) markFirstData();
}

/** One polling round (while the stream is down): /status, then /api/health for alerts and collectors. */
async function poll(): Promise<void> {
  const doc = await getJson("/status");
  if (isObj(doc)) {
    state.doc = doc;
    link.contact();
    startSlow();
    markFirstData();
  }
  const health = await getJson("/api/health").catch(() => null);
  if (isObj(health)) {
    if (Array.isArray(health.alerts)) {
      state.alerts.clear();
      for (const a of health.alerts)
        if (isObj(a) && typeof a.id === "string") state.alerts.set(a.id, a as unknown as Alert);
    }
    if (isObj(health.collectors)) {
      for (const [k, v] of Object.entries(health.collectors))
        if (isObj(v) && isObj(v.data))
          state.collectors.set(k, { collector: k, ok: v.ok !== false, at: Date.now(), data: v.data });
    }
  }
  renderAll();
}

const link = new LiveLink({
  url: "/api/events",
  pollMs: POLL_MS,
  staleMs: STALE_MS,
  retryStreamMs: 30_000,
  onChange: () => renderConn(link, POLL_MS),
  poll,
  events: {
    snapshot: (s) => {
      if (isObj(s)) applySnapshot(s);
    },
    status: (doc) => {
      if (!isObj(doc)) return;
      state.doc = doc;
      renderJobs();
      renderHeader();
      renderToday();
      renderPipeline();
      renderResources();
      renderCamera();
      renderSystem();
      renderProcesses();
    },
    sample: (c) => {
      if (!isObj(c) || typeof c.collector !== "string") return;
      state.collectors.set(c.collector, c as unknown as Collector);
      renderResources();
      renderCamera();
      renderRedis();
      renderProcesses();
      renderSystem();
      sampleToChart(c as unknown as Collector);
    },
    alert: (a) => {
      if (!isObj(a) || typeof a.id !== "string") return;
      state.alerts.set(a.id, a as unknown as Alert);
      renderAlerts();
    },
    "device-event": (ev) => {
      if (!isObj(ev)) return;
      state.liveEvents.unshift({
        time: String(ev.time ?? ""),
        level: String(ev.level ?? "info"),
        text: `${ev.source ?? ""}: ${ev.message ?? ""}${ev.code ? ` [${ev.code}]` : ""}`,
      });
      state.liveEvents.length = Math.min(state.liveEvents.length, 50);
      renderLogs();
    },
    ping: () => {},
  },
});

/** Sections with no live feed (jobs, log files): refreshed while the page is visible. */
let historyLoaded = false;
async function refreshSlow(): Promise<void> {
  if (document.visibilityState === "hidden") return;
  const jobs = state.jobsAvailable
    ? getJson("/api/jobs").then(renderJobs, (err: Error) => {
        // An agent without the jobs module answers 404: stop asking.
        if (/HTTP 404/.test(err.message)) state.jobsAvailable = false;
        renderJobs(null);
      })
    : Promise.resolve();
  // /api/dashboard (always served) has the recent log lines (null without log files) and the history.
  const dash = getJson("/api/dashboard").then(
    (body) => {
      if (!isObj(body)) return;
      if (!historyLoaded && isObj(body.history)) {
        historyLoaded = true;
        loadHistory(body.history);
      }
      const logs = isObj(body.logs) ? body.logs.entries : undefined;
      state.logs = (Array.isArray(logs) ? logs : [])
        .map((l) =>
          isObj(l)
            ? {
                time: String(l.time ?? l.timestamp ?? l.file ?? ""),
                level: String(l.level ?? ""),
                text: String(l.message ?? l.line ?? l.text ?? ""),
              }
            : { time: "", level: "", text: String(l) },
        )
        .reverse();
      renderLogs();
    },
    () => renderLogs(),
  );
  const recovery = state.recoveryAvailable
    ? getJson("/api/recovery").then(
        (body) => {
          state.watches = isObj(body) && Array.isArray(body.watches) ? body.watches.filter(isObj) : [];
          renderProcesses();
        },
        (err: Error) => {
          if (/HTTP 404/.test(err.message)) state.recoveryAvailable = false;
        },
      )
    : Promise.resolve();
  await Promise.all([jobs, dash, recovery]);
}

// ---------------------------------------------------------------- start
for (const btn of document.querySelectorAll<HTMLButtonElement>("button[data-action]")) {
  btn.addEventListener("click", () => void control(btn));
}
$("forget-token").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  $("forget-token").hidden = true;
  showResult("Token forgotten for this tab", "info");
});
$("forget-token").hidden = sessionStorage.getItem(TOKEN_KEY) === null;
// Cancel is a plain button so that Enter in the token field sends (the form's default button).
$("token-cancel").addEventListener("click", () => $<HTMLDialogElement>("token-dialog").close("cancel"));
const img = $<HTMLImageElement>("photo");
img.addEventListener("load", () => {
  img.hidden = false;
  $("photo-none").hidden = true;
});
img.addEventListener("error", () => {
  img.hidden = true;
  $("photo-none").hidden = false;
});

link.start();
window.setInterval(() => void refreshSlow(), SLOW_REFRESH_MS);
// One 1 s tick for relative ages and the stale check (no network).
window.setInterval(() => {
  renderAges();
  renderConn(link, POLL_MS);
  link.check();
}, 1000);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && slowStarted) void refreshSlow();
});
let resizeTimer: number | undefined;
window.addEventListener("resize", () => {
  window.clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(drawChart, 150);
});
