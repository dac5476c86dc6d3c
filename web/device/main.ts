// The device dashboard. Vanilla TypeScript + uPlot. Live through /api/events (Server-Sent Events),
// polling when the stream is unavailable, and a visible "connection lost / stale since" state.
// This file wires the page: the link to the agent (../shared/transport.ts) fills the page's data
// (./state.ts), and ./view.ts hands each section (./sections/) its part of that data to draw.
import "uplot/dist/uPlot.min.css";
import "../shared/base.css";
import "./style.css";
import type {
  AlertState,
  CollectorResultFrame,
  ConfigAnswer,
  DashboardSnapshot,
  HealthAnswer,
  HistoryView,
  RecentLogs,
} from "../shared/api.ts";
import { $, isObj } from "../shared/dom.ts";
import { getJson, LiveLink } from "../shared/transport.ts";
import { drawChart, loadHistory } from "./sections/chart.ts";
import { renderConn } from "./sections/conn.ts";
import { control, showResult, TOKEN_KEY } from "./sections/control.ts";
import { state } from "./state.ts";
import { draw } from "./view.ts";

const POLL_MS = 5000;
/** No frame (the server pings every 15 s) for this long → the link is presumed dead. */
const STALE_MS = 35_000;
const SLOW_REFRESH_MS = 15_000;

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

function applySnapshot(s: DashboardSnapshot): void {
  state.doc = s.document;
  state.features = { photos: s.features.photos, logs: s.features.logs };
  state.recoveryAvailable = s.features.recovery;
  state.control = { token: s.features.control.token, actions: { ...s.features.control.actions } };
  draw.controls();
  startSlow();
  const firstData = performance.getEntriesByName("ew-first-data").length === 0;
  state.serverSkewMs = Date.now() - Date.parse(s.server_time);
  state.collectors = new Map(Object.entries(s.collectors));
  state.alerts = new Map(s.alerts.map((a) => [a.id, a]));
  draw.all();
  const sys = state.collectors.get("system");
  if (sys) draw.chartSample(sys);
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
  const answer = await getJson("/api/health").catch(() => null);
  if (isObj(answer)) {
    const health = answer as HealthAnswer;
    state.alerts = new Map(health.alerts.map((a) => [a.id, a]));
    for (const [k, v] of Object.entries(health.collectors))
      state.collectors.set(k, { collector: k, ok: v.ok, at: Date.now(), durationMs: v.duration_ms, data: v.data });
  }
  draw.all();
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
      if (isObj(s)) applySnapshot(s as DashboardSnapshot);
    },
    status: (doc) => {
      if (!isObj(doc)) return;
      state.doc = doc;
      draw.jobs();
      draw.header();
      draw.today();
      draw.pipeline();
      draw.resources();
      draw.camera();
      draw.system();
      draw.processes();
    },
    sample: (frame) => {
      if (!isObj(frame) || typeof frame.collector !== "string") return;
      const c = frame as CollectorResultFrame;
      state.collectors.set(c.collector, c);
      draw.resources();
      draw.camera();
      draw.redis();
      draw.processes();
      draw.system();
      draw.chartSample(c);
    },
    alert: (frame) => {
      if (!isObj(frame) || typeof frame.id !== "string") return;
      const a = frame as unknown as AlertState;
      state.alerts.set(a.id, a);
      draw.alerts();
    },
    "device-event": (ev) => {
      if (!isObj(ev)) return;
      state.liveEvents.unshift({
        time: String(ev.time ?? ""),
        level: String(ev.level ?? "info"),
        text: `${ev.source ?? ""}: ${ev.message ?? ""}${ev.code ? ` [${ev.code}]` : ""}`,
      });
      state.liveEvents.length = Math.min(state.liveEvents.length, 50);
      draw.logs();
    },
    ping: () => {},
  },
});

/** Sections with no live feed (jobs, log files): refreshed while the page is visible. */
let historyLoaded = false;
async function refreshSlow(): Promise<void> {
  if (document.visibilityState === "hidden") return;
  const jobs = state.jobsAvailable
    ? getJson("/api/jobs").then(draw.jobs, (err: Error) => {
        // An agent without the jobs module answers 404: stop asking.
        if (/HTTP 404/.test(err.message)) state.jobsAvailable = false;
        draw.jobs(null);
      })
    : Promise.resolve();
  // /api/dashboard (always served) has the recent log lines (null without log files) and the history.
  const dash = getJson("/api/dashboard").then(
    (answer) => {
      if (!isObj(answer)) return;
      const body = answer as { history: HistoryView; logs: RecentLogs | null };
      if (!historyLoaded) {
        historyLoaded = true;
        loadHistory(body.history);
      }
      // Log lines carry no time of their own: the file they came from stands in its place.
      state.logs = (body.logs?.entries ?? [])
        .map((l) => ({ time: l.file, level: l.level ?? "", text: l.text }))
        .reverse();
      draw.logs();
    },
    () => draw.logs(),
  );
  const recovery = state.recoveryAvailable
    ? getJson("/api/recovery").then(
        (body) => {
          state.watches = isObj(body) && Array.isArray(body.watches) ? body.watches.filter(isObj) : [];
          draw.processes();
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

/** The alert thresholds the agent's rules judge by, for the gauges' colours (asked once). */
async function loadThresholds(): Promise<void> {
  const answer = await getJson("/config").catch(() => null);
  if (!isObj(answer) || !isObj(answer.thresholds)) return;
  state.thresholds = (answer as ConfigAnswer).thresholds;
  draw.resources();
}

link.start();
void loadThresholds();
window.setInterval(() => void refreshSlow(), SLOW_REFRESH_MS);
// One 1 s tick for relative ages and the stale check (no network).
window.setInterval(() => {
  draw.ages();
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
