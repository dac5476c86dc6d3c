// The device dashboard. Vanilla TypeScript + uPlot. Live through /api/events (Server-Sent Events),
// polling when the stream is unavailable, and a visible "connection lost / stale since" state.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "./style.css";

type Obj = Record<string, unknown>;
interface Alert {
  id: string;
  rule?: string;
  severity?: string;
  state?: string;
  summary?: string;
  since?: string;
}
interface Collector {
  collector: string;
  ok: boolean;
  at: number;
  data: Obj;
  error?: string;
}

const POLL_MS = 5000;
/** No frame (the server pings every 15 s) for this long → the link is presumed dead. */
const STALE_MS = 35_000;
const SLOW_REFRESH_MS = 15_000;
const CHART_POINTS = 720;
const STAGES = ["capturing", "creating_video", "backing_up", "uploading"];

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const numOf = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** A DOM element with text children only (never innerHTML: device data is untrusted). */
function h(tag: string, attrs: Record<string, string | undefined> = {}, ...kids: (Node | string)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, v);
  el.append(...kids);
  return el;
}

function kv(target: HTMLElement, rows: [string, string | Node | undefined][]): void {
  const out: Node[] = [];
  for (const [k, v] of rows) {
    if (v === undefined || v === "") continue;
    out.push(h("dt", {}, k), h("dd", {}, v));
  }
  target.replaceChildren(...out);
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min ago`;
  return `${Math.floor(s / 86400)} d ago`;
}
function duration(s: number): string {
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  return d ? `${d} d ${hh} h` : hh ? `${hh} h ${mm} min` : `${mm} min`;
}
function bytes(n: number): string {
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}
const parseTime = (v: unknown) => (typeof v === "string" ? Date.parse(v) : Number.NaN);
const pad2 = (n: number) => String(n).padStart(2, "0");
/** The page's one timestamp format: local "2026-02-08 14:23:45" (sortable, the same in every browser locale). */
function stampText(t: number): string {
  const d = new Date(t);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}
/** A <time> element in that format; text that is not a time stays as it was. */
function stamp(v: unknown): HTMLElement | string {
  const t = typeof v === "number" ? v : parseTime(v);
  if (!Number.isFinite(t)) return v === undefined || v === null ? "?" : String(v);
  return h("time", { datetime: new Date(t).toISOString() }, stampText(t));
}
/** A file name that wraps only between its parts (after _ - . /), never inside one. */
function fileName(name: string): HTMLElement {
  const el = h("span", { class: "filename" });
  for (const part of name.match(/[^_\-./]+[_\-./]*|[_\-./]+/g) ?? [name]) {
    el.append(h("span", {}, part), document.createElement("wbr"));
  }
  return el;
}
/** A card without data shrinks to its heading and one line (it must not take a full grid cell). */
function setEmpty(id: string, empty: boolean): void {
  $(id).closest("section")?.classList.toggle("empty", empty);
}

// ---------------------------------------------------------------- state
const state = {
  doc: {} as Obj,
  collectors: new Map<string, Collector>(),
  alerts: new Map<string, Alert>(),
  logs: [] as { time: string; level: string; text: string }[],
  liveEvents: [] as { time: string; level: string; text: string }[],
  lastContact: 0,
  features: { photos: false, logs: false },
  jobsAvailable: true,
  recoveryAvailable: false,
  watches: [] as Obj[],
  /** From the snapshot: is a control token set, and which control actions are configured. */
  control: null as { token: boolean; actions: Record<string, boolean> } | null,
  mode: "connecting" as "connecting" | "live" | "polling" | "lost",
  serverSkewMs: 0,
};

/** First finite number at any of these dotted paths in the document or a collector's data. */
function pick(paths: string[]): number | undefined {
  const roots: unknown[] = [state.doc, ...[...state.collectors.values()].map((c) => c.data)];
  for (const p of paths) {
    for (const root of roots) {
      let cur: unknown = root;
      for (const k of p.split(".")) cur = isObj(cur) ? cur[k] : Array.isArray(cur) ? cur[Number(k)] : undefined;
      const n = numOf(cur);
      if (n !== undefined) return p.endsWith("ratio") ? n * 100 : n;
    }
  }
  return undefined;
}
const metric = {
  cpu: () => pick(["cpu_percent", "cpu_usage_ratio", "cpu.usage_ratio"]),
  memory: () => pick(["memory_percent", "memory_usage_ratio", "memory.usage_ratio"]),
  disk: () => pick(["disk_percent", "disks.0.usage_ratio", "disk_usage_ratio"]),
  temp: () => pick(["cpu_temperature_celsius", "temperature_celsius"]),
};

// ---------------------------------------------------------------- rendering
function tone(value: number | undefined, warn: number, crit: number): string | undefined {
  if (value === undefined) return undefined;
  return value >= crit ? "bad" : value >= warn ? "warn" : "ok";
}
const STATUS_TONE: Record<string, string> = {
  capturing: "ok",
  creating_video: "info",
  backing_up: "info",
  uploading: "info",
  idle: "ok",
  waiting: "ok",
  error: "bad",
};

function renderHeader(): void {
  const d = state.doc;
  const id = typeof d.device_id === "string" ? d.device_id : "Device";
  $("device-id").textContent = id;
  document.title = `${id} · edgewatch`;
  const st = typeof d.status === "string" ? d.status : "unknown";
  const pill = $("device-status");
  pill.textContent = st.replace(/_/g, " ");
  pill.dataset.tone = STATUS_TONE[st] ?? "unknown";
}

let photoKey = "";
function renderToday(): void {
  const d = state.doc;
  const today = isObj(d.today) ? d.today : {};
  const sched = state.collectors.get("schedule")?.data ?? {};
  const captured = numOf(today.photos_captured) ?? numOf(d.photos_captured) ?? numOf(sched.photos_captured_today);
  const expected = numOf(today.expected_photos) ?? numOf(sched.photos_expected_today);
  $("captured").textContent = captured === undefined ? "—" : String(captured);
  $("expected").textContent = expected === undefined ? "?" : String(expected);
  const meter = $<HTMLMeterElement>("capture-meter");
  meter.max = expected && expected > 0 ? expected : Math.max(1, captured ?? 0);
  meter.value = captured ?? 0;
  meter.textContent = expected ? `${Math.round(((captured ?? 0) / expected) * 100)}%` : "";
  const last = isObj(d.last_capture) ? d.last_capture : {};
  const window =
    typeof today.start_time === "string" && typeof today.end_time === "string"
      ? `${today.start_time}–${today.end_time}`
      : undefined;
  const interval = numOf(today.interval_seconds);
  kv($("today-kv"), [
    ["Date", typeof today.date === "string" ? today.date : undefined],
    ["Capture window", window],
    ["Interval", interval === undefined ? undefined : `${interval} s`],
    ["Last capture", last.success === false ? "failed" : last.success === true ? "ok" : undefined],
    ["Capture took", numOf(last.duration_ms) === undefined ? undefined : `${last.duration_ms} ms`],
    ["File", typeof last.filename === "string" ? fileName(last.filename) : undefined],
  ]);
  // Reload the thumbnail only when a new photo was taken.
  const key = `${last.time ?? ""}|${last.filename ?? ""}`;
  if (state.features.photos && key !== photoKey && (last.time || last.filename)) {
    photoKey = key;
    const img = $<HTMLImageElement>("photo");
    img.src = `/latest/photo?v=${encodeURIComponent(key)}`;
    img.alt = `Latest capture${typeof last.filename === "string" ? `: ${last.filename}` : ""}`;
  }
  renderAges();
}

function renderPipeline(): void {
  const st = typeof state.doc.status === "string" ? state.doc.status : "unknown";
  const idx = STAGES.indexOf(st);
  const list = $("pipeline");
  list.classList.toggle("error", st === "error");
  for (const li of list.querySelectorAll<HTMLElement>("li")) {
    const i = STAGES.indexOf(li.dataset.stage ?? "");
    if (i === idx) li.setAttribute("aria-current", "step");
    else li.removeAttribute("aria-current");
    if (idx >= 0 && i < idx) li.dataset.done = "";
    else delete li.dataset.done;
  }
  const notes: Record<string, string> = {
    idle: "Idle: outside capture hours, nothing running.",
    waiting: "Waiting for the capture window to open.",
    error: "Error: see alerts and logs.",
    unknown: "No status reported yet.",
  };
  $("pipeline-note").textContent = idx >= 0 ? `Now: ${STAGES[idx]?.replace(/_/g, " ")}` : (notes[st] ?? st);
  const v = isObj(state.doc.last_video) ? state.doc.last_video : {};
  const url = typeof v.youtube_url === "string" && /^https:\/\//.test(v.youtube_url) ? v.youtube_url : undefined;
  kv($("video-kv"), [
    ["Last video", typeof v.filename === "string" ? fileName(v.filename) : undefined],
    ["Video date", typeof v.date === "string" ? v.date : undefined],
    ["Length", numOf(v.duration_seconds) === undefined ? undefined : `${v.duration_seconds} s`],
    ["Photos used", numOf(v.photos_used) === undefined ? undefined : String(v.photos_used)],
    ["Backed up", typeof v.backed_up === "boolean" ? (v.backed_up ? "yes" : "no") : undefined],
    ["Uploaded", url ? h("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, url) : undefined],
  ]);
}

function gauge(label: string, value: number | undefined, unit: string, t: string | undefined, max = 100): HTMLElement {
  const id = `g-${label.toLowerCase().replace(/\W+/g, "-")}`;
  const text = value === undefined ? "no data" : `${value.toFixed(1)} ${unit}`;
  const pct = value === undefined ? 0 : Math.min(100, Math.max(0, (value / max) * 100));
  // The CSP forbids style attributes; the CSSOM is allowed.
  const bar = h("span");
  bar.style.width = `${pct}%`;
  return h(
    "div",
    { class: "gauge", "data-tone": t },
    h("label", { id }, h("span", {}, label), h("strong", {}, text)),
    h(
      "div",
      {
        class: "bar",
        role: "meter",
        "aria-labelledby": id,
        "aria-valuemin": "0",
        "aria-valuemax": String(max),
        "aria-valuenow": value === undefined ? undefined : value.toFixed(1),
      },
      bar,
    ),
  );
}

function renderResources(): void {
  // Warning/critical thresholds: CPU 85/95 %, memory 90/95 %, disk 90/95 %, temperature 70/80 °C.
  const cpu = metric.cpu();
  const mem = metric.memory();
  const disk = metric.disk();
  const temp = metric.temp();
  const bars = [
    gauge("CPU", cpu, "%", tone(cpu, 85, 95)),
    gauge("Memory", mem, "%", tone(mem, 90, 95)),
    gauge("Disk", disk, "%", tone(disk, 90, 95)),
    gauge("Temperature", temp, "°C", tone(temp, 70, 80), 90),
  ];
  const quiet = isObj(state.doc.agent) && state.doc.agent.quiet === true;
  $("resources").replaceChildren(
    ...(quiet ? [h("p", { class: "muted" }, "Sampling paused while the device encodes video.")] : []),
    ...bars,
  );
}

function renderCamera(): void {
  const cam = state.collectors.get("camera")?.data ?? (isObj(state.doc.camera) ? state.doc.camera : {});
  const score = numOf(cam.health_score);
  const fails = numOf(cam.consecutive_failures);
  const rate = numOf(cam.success_rate) ?? numOf(cam.success_ratio);
  const ageS = numOf(cam.last_capture_age_seconds);
  const sched = state.collectors.get("schedule")?.data ?? {};
  const stalled =
    typeof sched.stalled === "boolean" ? sched.stalled : typeof cam.stalled === "boolean" ? cam.stalled : undefined;
  const test = isObj(cam.test) ? cam.test : undefined;
  const testFails = numOf(test?.consecutive_failures) ?? 0;
  const testText =
    test === undefined || test.last_ok === null || test.last_ok === undefined
      ? test?.waiting_for
        ? `waiting for ${String(test.waiting_for)}`
        : undefined
      : test.last_ok === true
        ? h("span", { "data-tone": "ok" }, "passed ", stamp(test.last_run))
        : h("span", { "data-tone": "bad" }, `failed ${testFails}× in a row, last `, stamp(test.last_run));
  setEmpty(
    "camera-kv",
    score === undefined && fails === undefined && rate === undefined && ageS === undefined && test === undefined,
  );
  kv($("camera-kv"), [
    [
      "Health",
      score === undefined
        ? "no data"
        : h("span", { class: "pill", "data-tone": tone(100 - score, 30, 60) }, `${Math.round(score)} / 100`),
    ],
    ["Consecutive failures", fails === undefined ? undefined : String(fails)],
    ["Success rate", rate === undefined ? undefined : `${(rate <= 1 ? rate * 100 : rate).toFixed(0)} %`],
    ["Last capture", ageS === undefined ? undefined : ago(ageS * 1000)],
    [
      "Last error",
      typeof cam.last_error === "string"
        ? cam.last_error
        : isObj(cam.last_error)
          ? `${cam.last_error.code ? `${String(cam.last_error.code)} ` : ""}${String(cam.last_error.message ?? "")}`
          : undefined,
    ],
    ["Camera test", testText],
    [
      "Capture stalled",
      stalled === undefined ? undefined : h("span", { "data-tone": stalled ? "bad" : "ok" }, stalled ? "yes" : "no"),
    ],
  ]);
}

function renderRedis(): void {
  const r = state.collectors.get("redis");
  setEmpty("redis-kv", !r);
  if (!r) return;
  const d = r.data;
  const up = r.ok && d.up !== false && d.connected !== false;
  const lat = numOf(d.ping_seconds) ?? numOf(d.ping_latency_seconds);
  const mem = numOf(d.used_memory_bytes);
  const maxMem = numOf(d.maxmemory_bytes);
  const err = typeof d.error === "string" ? d.error : r.error;
  kv($("redis-kv"), [
    ["Status", h("span", { class: "pill", "data-tone": up ? "ok" : "bad" }, up ? "connected" : "down")],
    ["Target", typeof d.target === "string" ? d.target : undefined],
    ["Ping", lat === undefined ? undefined : `${(lat * 1000).toFixed(1)} ms`],
    ["Memory", mem === undefined ? undefined : `${bytes(mem)}${maxMem ? ` of ${bytes(maxMem)}` : ""}`],
    ["Error", up ? undefined : err],
  ]);
}

function renderProcesses(): void {
  const items: HTMLElement[] = [];
  const now = Date.now() - state.serverSkewMs;
  for (const w of state.watches) {
    const age = numOf(w.heartbeat_age_ms);
    const healthy = w.healthy !== false;
    items.push(
      h(
        "li",
        { "data-tone": healthy ? "ok" : "bad" },
        `watch ${w.name ?? "?"}: ${healthy ? "healthy" : `failing${w.reason ? ` (${w.reason})` : ""}`}`,
        h(
          "span",
          { class: "when" },
          [age === undefined ? "no heartbeat yet" : `heartbeat ${ago(age)}`, w.next_step ? `next: ${w.next_step}` : ""]
            .filter(Boolean)
            .join(" · "),
        ),
      ),
    );
  }
  const sources = state.doc.sources;
  if (isObj(sources)) {
    for (const [name, v] of Object.entries(sources)) {
      const beat = isObj(v) ? parseTime(v.heartbeat_at) : Number.NaN;
      items.push(
        h(
          "li",
          {},
          `writer ${name}`,
          h("span", { class: "when" }, Number.isNaN(beat) ? "" : `last wrote ${ago(now - beat)}`),
        ),
      );
    }
  }
  for (const c of state.collectors.values()) {
    items.push(
      h(
        "li",
        { "data-tone": c.ok ? "ok" : "bad" },
        `collector ${c.collector}: ${c.ok ? "ok" : `failing${c.error ? ` (${c.error})` : ""}`}`,
        h("span", { class: "when" }, `ran ${ago(now - c.at)}`),
      ),
    );
  }
  setEmpty("processes", !items.length);
  if (items.length) $("processes").replaceChildren(...items);
}

function renderSystem(): void {
  const d = state.doc;
  const sys = state.collectors.get("system")?.data ?? {};
  const uptime = numOf(sys.uptime_seconds) ?? numOf(d.uptime_seconds);
  const temp = metric.temp();
  const free =
    numOf(d.disk_free_bytes) ??
    (Array.isArray(sys.disks) && isObj(sys.disks[0]) ? numOf(sys.disks[0].free_bytes) : undefined);
  kv($("system-kv"), [
    ["Device", typeof d.device_id === "string" ? d.device_id : undefined],
    ["Hostname", typeof d.hostname === "string" ? d.hostname : undefined],
    ["Uptime", uptime === undefined ? undefined : duration(uptime)],
    ["Temperature", temp === undefined ? undefined : `${temp.toFixed(1)} °C`],
    ["Load", numOf(sys.load1) === undefined ? undefined : `${sys.load1} / ${sys.load5} / ${sys.load15}`],
    ["Disk free", free === undefined ? undefined : bytes(free)],
    [
      "Agent",
      isObj(d.agent) && typeof d.agent.version === "string"
        ? `edgewatch ${d.agent.version}${d.agent.quiet ? " (sampling paused while encoding)" : ""}`
        : undefined,
    ],
    ["Last update", typeof d.updated_at === "string" ? stamp(d.updated_at) : undefined],
  ]);
}

const SEV_TONE: Record<string, string> = { critical: "bad", warning: "warn", info: "info" };
function renderAlerts(): void {
  const list = [...state.alerts.values()]
    .filter((a) => a.state !== "resolved" || Date.now() - parseTime(a.since) < 3600_000)
    .sort((a, b) => parseTime(b.since) - parseTime(a.since));
  const ul = $("alerts");
  setEmpty("alerts", !list.length);
  if (!list.length) {
    ul.replaceChildren(h("li", { class: "muted" }, "No alerts"));
    return;
  }
  ul.replaceChildren(
    ...list
      .slice(0, 20)
      .map((a) =>
        h(
          "li",
          { "data-tone": a.state === "resolved" ? "ok" : (SEV_TONE[a.severity ?? ""] ?? "info"), "data-alert": a.id },
          h("strong", {}, `${a.severity ?? "alert"} · ${a.state ?? ""}`),
          " ",
          a.summary ?? a.rule ?? a.id,
          h("span", { class: "when" }, "since ", stamp(a.since)),
        ),
      ),
  );
}

const LEVEL_TONE: Record<string, string> = { error: "bad", critical: "bad", warning: "warn" };
function renderLogs(): void {
  const rows = [...state.liveEvents, ...state.logs].slice(0, 100);
  const ul = $("logs");
  setEmpty("logs", !rows.length);
  if (!rows.length) {
    ul.replaceChildren(h("li", { class: "muted" }, "No log lines"));
    return;
  }
  ul.replaceChildren(
    ...rows.map((r) =>
      h("li", { "data-tone": LEVEL_TONE[r.level] }, h("span", { class: "when" }, stamp(r.time), ` ${r.level}`), r.text),
    ),
  );
}

let lastJobs: unknown = null;
const str = (v: unknown) => (v === undefined || v === null ? "" : String(v));
const badState = (v: unknown) => /fail|error|dead|overdue|timeout/.test(str(v));

/** Jobs (from /api/jobs), queues, and transfers (live, from the status document). */
function renderJobs(body: unknown = lastJobs): void {
  lastJobs = body;
  const el = $("jobs");
  const out: HTMLElement[] = [];
  const jobs = isObj(body) && Array.isArray(body.jobs) ? body.jobs.filter(isObj) : [];
  const th = (t: string) => h("th", { scope: "col" }, t);
  if (jobs.length) {
    out.push(
      h(
        "table",
        {},
        h("caption", { class: "muted" }, "Jobs"),
        h("thead", {}, h("tr", {}, th("Job"), th("Last run"), th("Last success"))),
        h(
          "tbody",
          {},
          ...jobs.slice(0, 20).map((j) => {
            const st = j.overdue === true ? "overdue" : str(j.last_status) || "never run";
            return h(
              "tr",
              {},
              h("td", {}, str(j.name)),
              h("td", { "data-tone": badState(st) ? "bad" : undefined }, st),
              h("td", {}, j.last_success ? stamp(j.last_success) : "—"),
            );
          }),
        ),
      ),
    );
  }
  const queues = isObj(body) && Array.isArray(body.queues) ? body.queues.filter(isObj) : [];
  for (const sys of queues) {
    const qs = Array.isArray(sys.queues) ? sys.queues.filter(isObj) : [];
    const line = qs
      .map((q) => {
        const states = isObj(q.states)
          ? Object.entries(q.states)
              .map(([k, v]) => `${v} ${k}`)
              .join(", ")
          : "";
        return `${str(q.name)}: ${states || "empty"}${numOf(q.workers) !== undefined ? `; ${q.workers} worker(s)` : ""}`;
      })
      .join(" · ");
    out.push(
      h(
        "p",
        { "data-tone": sys.up === false ? "bad" : undefined },
        h("strong", {}, `${str(sys.system)} queues`),
        sys.up === false ? `: down${sys.error ? ` (${str(sys.error)})` : ""}` : `: ${line || "none"}`,
      ),
    );
  }
  const transfers = isObj(state.doc.transfers) ? Object.entries(state.doc.transfers) : [];
  if (transfers.length) {
    out.push(
      h(
        "table",
        {},
        h("caption", { class: "muted" }, "Transfers"),
        h("thead", {}, h("tr", {}, th("Transfer"), th("State"), th("Files verified / failed"), th("Last end"))),
        h(
          "tbody",
          {},
          ...transfers.slice(0, 20).map(([name, v]) => {
            const t = isObj(v) ? v : {};
            const st = str(t.last_status ?? t.status) || "—";
            return h(
              "tr",
              {},
              h("td", {}, name, t.dest ? h("span", { class: "when" }, `→ ${str(t.dest)}`) : ""),
              h(
                "td",
                { "data-tone": badState(st) ? "bad" : undefined },
                st,
                t.last_error ? h("span", { class: "when" }, str(t.last_error)) : "",
              ),
              h("td", {}, `${str(t.verified ?? 0)} / ${str(t.failed ?? 0)}`),
              h("td", {}, t.last_end ? stamp(t.last_end) : "—"),
            );
          }),
        ),
      ),
    );
  }
  setEmpty("jobs", !out.length);
  if (!out.length)
    out.push(
      h(
        "p",
        { class: "muted" },
        lastJobs === null ? "Jobs are not available on this agent" : "No jobs or transfers recorded",
      ),
    );
  el.replaceChildren(...out);
}

function renderAges(): void {
  const last = isObj(state.doc.last_capture) ? state.doc.last_capture : {};
  const t = parseTime(last.time);
  const cap = $("photo-caption");
  if (Number.isNaN(t)) cap.textContent = "Last photo: —";
  else cap.replaceChildren(`Last photo ${ago(Date.now() - state.serverSkewMs - t)} (`, stamp(t), ")");
}

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

// ---------------------------------------------------------------- chart
const series = {
  t: [] as number[],
  cpu: [] as (number | null)[],
  mem: [] as (number | null)[],
  temp: [] as (number | null)[],
};
let plot: uPlot | null = null;
/** Whether the current plot has the temperature series and axis (none without temperature data). */
let plotTemp = false;

function addPoint(tSec: number, cpu?: number, mem?: number, temp?: number): void {
  if (cpu === undefined && mem === undefined && temp === undefined) return;
  const last = series.t[series.t.length - 1];
  if (last !== undefined && tSec <= last) return;
  series.t.push(tSec);
  series.cpu.push(cpu ?? null);
  series.mem.push(mem ?? null);
  series.temp.push(temp ?? null);
  for (const a of Object.values(series)) if (a.length > CHART_POINTS) a.splice(0, a.length - CHART_POINTS);
}

function drawChart(): void {
  const el = $("chart");
  if (series.t.length < 2) return;
  $("chart-note").replaceChildren(`${series.t.length} samples since `, stamp((series.t[0] ?? 0) * 1000));
  const hasTemp = series.temp.some((v) => v !== null);
  el.dataset.temperature = hasTemp ? "shown" : "hidden";
  el.setAttribute("aria-label", hasTemp ? "CPU, memory and temperature over time" : "CPU and memory over time");
  if (plot && plotTemp !== hasTemp) {
    plot.destroy();
    plot = null;
  }
  plotTemp = hasTemp;
  const data: uPlot.AlignedData = hasTemp
    ? [series.t, series.cpu, series.mem, series.temp]
    : [series.t, series.cpu, series.mem];
  const width = Math.max(280, el.clientWidth);
  if (plot) {
    plot.setData(data);
    if (Math.abs(plot.width - width) > 4) plot.setSize({ width, height: 220 });
    return;
  }
  const css = getComputedStyle(document.documentElement);
  const col = (v: string) => css.getPropertyValue(v).trim();
  plot = new uPlot(
    {
      width,
      height: 220,
      legend: { live: false },
      scales: { x: { time: true }, pct: { range: [0, 100] }, c: { range: [20, 90] } },
      axes: [
        { stroke: col("--muted") },
        { scale: "pct", stroke: col("--muted"), values: (_u, v) => v.map((x) => `${x}%`) },
        ...(hasTemp
          ? [
              {
                scale: "c",
                side: 1,
                stroke: col("--muted"),
                values: (_u: uPlot, v: number[]) => v.map((x) => `${x}°`),
                grid: { show: false },
              },
            ]
          : []),
      ],
      series: [
        {},
        { label: "CPU %", scale: "pct", stroke: col("--info"), width: 2, spanGaps: true },
        { label: "Memory %", scale: "pct", stroke: col("--ok"), width: 2, spanGaps: true },
        ...(hasTemp ? [{ label: "Temp °C", scale: "c", stroke: col("--bad"), width: 2, spanGaps: true }] : []),
      ],
    },
    data,
    el,
  );
}

function sampleToChart(c: Collector): void {
  if (c.collector !== "system" && c.collector !== "thermal") return;
  addPoint(Math.floor(c.at / 1000), metric.cpu(), metric.memory(), metric.temp());
  drawChart();
}

/** /api/metrics/history?hours= → points; accepts {samples:[...]}, {history:[...]} or a plain array. */
function loadHistory(body: unknown): void {
  const list = Array.isArray(body) ? body : isObj(body) ? (body.samples ?? body.history ?? body.points) : undefined;
  if (!Array.isArray(list)) return;
  const pts: [number, number | undefined, number | undefined, number | undefined][] = [];
  for (const s of list) {
    if (!isObj(s)) continue;
    const t = numOf(s.t) ?? numOf(s.timestamp) ?? parseTime(s.timestamp ?? s.time ?? s.at);
    if (!Number.isFinite(t)) continue;
    const tSec = t > 1e11 ? Math.floor(t / 1000) : Math.floor(t);
    // Values are flat ({"system.cpu_usage_ratio": 0.2}) under `v`, or at the top level.
    const vals: Obj = isObj(s.v) ? s.v : s;
    const find = (names: string[]) => {
      for (const [k, v] of Object.entries(vals)) {
        const n = numOf(v);
        if (n === undefined) continue;
        for (const name of names) if (k === name || k.endsWith(`.${name}`)) return name.endsWith("ratio") ? n * 100 : n;
      }
      return undefined;
    };
    pts.push([
      tSec,
      find(["cpu_usage_ratio", "cpu_percent"]),
      find(["memory_usage_ratio", "memory_percent"]),
      find(["cpu_temperature_celsius", "temperature_celsius"]),
    ]);
  }
  pts.sort((a, b) => a[0] - b[0]);
  const live = { t: [...series.t], cpu: [...series.cpu], mem: [...series.mem], temp: [...series.temp] };
  for (const a of Object.values(series)) a.length = 0;
  for (const p of pts) addPoint(...p);
  live.t.forEach((t, i) => {
    addPoint(t, live.cpu[i] ?? undefined, live.mem[i] ?? undefined, live.temp[i] ?? undefined);
  });
  drawChart();
}

// ---------------------------------------------------------------- data sources
async function getJson(path: string): Promise<unknown> {
  const res = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

function contact(): void {
  state.lastContact = Date.now();
  if (state.mode === "lost" || state.mode === "connecting")
    setMode(es !== null && es.readyState === 1 /* OPEN */ ? "live" : "polling");
  else updateConn();
}

function setMode(mode: typeof state.mode): void {
  state.mode = mode;
  updateConn();
}

function updateConn(): void {
  const el = $("conn");
  const banner = $("stale-banner");
  const stale = state.lastContact > 0 && Date.now() - state.lastContact > STALE_MS;
  const mode = stale ? "lost" : state.mode;
  el.dataset.state = mode;
  el.textContent =
    mode === "live"
      ? "Live"
      : mode === "polling"
        ? `Polling every ${POLL_MS / 1000} s`
        : mode === "lost"
          ? "Connection lost"
          : "Connecting…";
  if (mode === "lost") {
    const since = state.lastContact
      ? `${stampText(state.lastContact)} (${ago(Date.now() - state.lastContact)})`
      : "page load";
    const text = `Connection lost: the device is not answering. Data is stale since ${since}. Retrying…`;
    if (banner.textContent !== text) banner.textContent = text;
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
}

let slowStarted = false;
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
  // The slow sections wait for the first snapshot: it says which of them this agent serves.
  if (!slowStarted) {
    slowStarted = true;
    void refreshSlow();
  }
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
  // When the device's data was first on screen (read by bench/dashboard.bench.mjs).
  if (firstData) performance.mark("ew-first-data");
}

let es: EventSource | null = null;
let esOpenedAt = 0;
let sseFailures = 0;
let pollTimer: number | undefined;

function startSse(): void {
  if (typeof EventSource === "undefined") {
    startPolling();
    return;
  }
  es = new EventSource("/api/events");
  esOpenedAt = Date.now();
  const on = (name: string, fn: (data: Obj) => void) =>
    es?.addEventListener(name, (e) => {
      contact();
      try {
        fn(JSON.parse((e as MessageEvent).data));
      } catch {
        /* a frame we do not understand is ignored */
      }
    });
  es.onopen = () => {
    sseFailures = 0;
    stopPolling();
    setMode("live");
    contact();
  };
  on("snapshot", applySnapshot);
  on("status", (doc) => {
    state.doc = doc;
    renderJobs();
    renderHeader();
    renderToday();
    renderPipeline();
    renderResources();
    renderCamera();
    renderSystem();
    renderProcesses();
  });
  on("sample", (c) => {
    if (typeof c.collector !== "string") return;
    state.collectors.set(c.collector, c as unknown as Collector);
    renderResources();
    renderCamera();
    renderRedis();
    renderProcesses();
    renderSystem();
    sampleToChart(c as unknown as Collector);
  });
  on("alert", (a) => {
    if (typeof a.id !== "string") return;
    state.alerts.set(a.id, a as unknown as Alert);
    renderAlerts();
  });
  on("device-event", (ev) => {
    state.liveEvents.unshift({
      time: String(ev.time ?? ""),
      level: String(ev.level ?? "info"),
      text: `${ev.source ?? ""}: ${ev.message ?? ""}${ev.code ? ` [${ev.code}]` : ""}`,
    });
    state.liveEvents.length = Math.min(state.liveEvents.length, 50);
    renderLogs();
  });
  on("ping", () => {});
  es.onerror = () => {
    sseFailures++;
    // Say so at once: the browser is reconnecting, and what is on screen may be stale.
    setMode("lost");
    // The browser reconnects by itself (retry: 2 s); after repeated failures (or a 503 "too many
    // streams", which closes it for good) poll instead, and try the stream again later.
    if (es?.readyState === EventSource.CLOSED || sseFailures >= 3) {
      es?.close();
      es = null;
      startPolling();
      setTimeout(() => {
        if (!es) startSse();
      }, 30_000);
    }
    updateConn();
  };
}

function startPolling(): void {
  setMode("polling");
  if (pollTimer !== undefined) return;
  const tick = async () => {
    try {
      const doc = await getJson("/status");
      if (isObj(doc)) {
        state.doc = doc;
        contact();
        if (!slowStarted) {
          slowStarted = true;
          void refreshSlow();
        }
        if (performance.getEntriesByName("ew-first-data").length === 0) performance.mark("ew-first-data");
      }
      // /api/health carries the alerts and every collector's last result.
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
    } catch {
      setMode("lost");
    }
  };
  void tick();
  pollTimer = window.setInterval(tick, POLL_MS);
}
function stopPolling(): void {
  if (pollTimer !== undefined) window.clearInterval(pollTimer);
  pollTimer = undefined;
}

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

// ---------------------------------------------------------------- control
const TOKEN_KEY = "edgewatch.token";

function askToken(): Promise<string | null> {
  const dlg = $<HTMLDialogElement>("token-dialog");
  const input = $<HTMLInputElement>("token-input");
  input.value = "";
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok" ? input.value.trim() : null), { once: true });
    dlg.returnValue = "";
    dlg.showModal();
    input.focus();
  });
}

function confirmAction(text: string): Promise<boolean> {
  const dlg = $<HTMLDialogElement>("confirm-dialog");
  $("confirm-text").textContent = text;
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok"), { once: true });
    dlg.returnValue = "";
    dlg.showModal();
  });
}

function showResult(text: string, t: string): void {
  const el = $("control-result");
  el.textContent = text;
  el.dataset.tone = t;
}

const CONTROL_KEYS: Record<string, string> = {
  "/api/camera/test": "camera_test",
  "/api/camera/recover": "camera_recover",
  "/api/system/restart-services": "restart_services",
  "/api/system/reboot": "reboot",
};

/** Buttons that cannot work look unavailable (aria-disabled, still focusable) and say why. */
function renderControls(): void {
  const c = state.control;
  const missing: string[] = [];
  let global: string | null = null;
  if (!state.recoveryAvailable) global = "recovery is turned off on this device (recovery.enabled: false)";
  else if (c && !c.token) global = "no control token is set on this device (http.token in its config)";
  for (const btn of document.querySelectorAll<HTMLButtonElement>("button[data-action]")) {
    const key = CONTROL_KEYS[btn.dataset.action ?? ""] ?? "";
    const why = global ?? (c && c.actions[key] === false ? `not configured (recovery.${key})` : null);
    if (why) {
      btn.setAttribute("aria-disabled", "true");
      btn.setAttribute("aria-describedby", "control-note");
      btn.dataset.why = why;
      btn.title = `Unavailable: ${why}`;
      if (!global) missing.push(`${btn.textContent} (recovery.${key})`);
    } else {
      btn.removeAttribute("aria-disabled");
      btn.removeAttribute("aria-describedby");
      delete btn.dataset.why;
      btn.removeAttribute("title");
    }
  }
  $("control-note").textContent = global
    ? `Control is off: ${global}.`
    : missing.length
      ? `Not configured on this device: ${missing.join(", ")}.`
      : "";
}

async function control(btn: HTMLButtonElement): Promise<void> {
  const path = btn.dataset.action ?? "";
  const label = btn.textContent ?? path;
  if (btn.getAttribute("aria-disabled") === "true") {
    showResult(`${label}: unavailable, ${btn.dataset.why ?? "not configured"}`, "info");
    return;
  }
  if (btn.dataset.confirm && !(await confirmAction(btn.dataset.confirm))) {
    showResult(`${label}: cancelled`, "info");
    return;
  }
  let token = sessionStorage.getItem(TOKEN_KEY);
  if (token === null) {
    token = await askToken();
    if (token === null) {
      showResult(`${label}: cancelled (a control token is needed)`, "info");
      return;
    }
  }
  btn.disabled = true;
  showResult(`${label}: sending…`, "info");
  try {
    const res = await fetch(path, {
      method: "POST",
      headers: { Accept: "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    });
    let body: unknown = null;
    try {
      body = await res.json();
    } catch {
      /* not JSON */
    }
    const msg = isObj(body) ? String(body.error ?? body.message ?? body.result ?? body.status ?? "") : "";
    if (res.ok) {
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      $("forget-token").hidden = false;
      const steps = isObj(body) && Array.isArray(body.steps) ? body.steps.filter(isObj) : [];
      const out = steps
        .map((st) => String(st.output ?? "").trim())
        .filter(Boolean)
        .join(" / ")
        .slice(-300);
      showResult(`${label}: done${msg ? ` (${msg})` : ""}${out ? `: ${out}` : ""}`, "ok");
    } else {
      if (res.status === 401) {
        sessionStorage.removeItem(TOKEN_KEY);
        $("forget-token").hidden = true;
      }
      const retry = res.headers.get("Retry-After");
      const why =
        res.status === 401
          ? "refused, token missing or wrong"
          : res.status === 403
            ? "refused, control is disabled on this device"
            : res.status === 429
              ? `refused, too many attempts${retry ? `; retry in ${retry} s` : ""}`
              : `failed (HTTP ${res.status})`;
      showResult(`${label}: ${why}${msg ? `: ${msg}` : ""}`, "bad");
    }
  } catch (err) {
    showResult(`${label}: the device did not answer (${(err as Error).message})`, "bad");
  } finally {
    btn.disabled = false;
  }
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

startSse();
window.setInterval(() => void refreshSlow(), SLOW_REFRESH_MS);
// One 1 s tick for relative ages and the stale check (no network).
window.setInterval(() => {
  renderAges();
  updateConn();
  // A stream that says nothing for too long may be half-open (a phone changed networks): start over.
  const now = Date.now();
  if (es && now - esOpenedAt > STALE_MS && state.lastContact > 0 && now - state.lastContact > STALE_MS) {
    es.close();
    es = null;
    startSse();
  }
}, 1000);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && slowStarted) void refreshSlow();
});
let resizeTimer: number | undefined;
window.addEventListener("resize", () => {
  window.clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(drawChart, 150);
});
