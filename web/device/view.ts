// Which part of the page's data each section draws: one call per section, over the typed data in
// ./state.ts. The transport and the timers call these; the sections never read the state themselves.

import type { CollectorResultFrame } from "../shared/api.ts";
import { isObj } from "../shared/dom.ts";
import { renderAlerts } from "./sections/alerts.ts";
import { renderCamera } from "./sections/camera.ts";
import { sampleToChart } from "./sections/chart.ts";
import { renderControls } from "./sections/control.ts";
import { renderHeader } from "./sections/header.ts";
import { renderJobs } from "./sections/jobs.ts";
import { renderLogs } from "./sections/logs.ts";
import { renderPipeline } from "./sections/pipeline.ts";
import { renderProcesses } from "./sections/processes.ts";
import { renderRedis } from "./sections/redis.ts";
import { type GaugeValues, renderResources } from "./sections/resources.ts";
import { renderSystem } from "./sections/system.ts";
import { renderAges, renderToday } from "./sections/today.ts";
import { dataOf, metric, state } from "./state.ts";

const gauges = (): GaugeValues => ({
  cpu: metric.cpu(),
  memory: metric.memory(),
  disk: metric.disk(),
  temperature: metric.temp(),
});

export const draw = {
  header: () => renderHeader(state.doc),
  today: () => renderToday(state.doc, dataOf("schedule"), state.features.photos, state.serverSkewMs),
  ages: () => renderAges(state.doc, state.serverSkewMs),
  pipeline: () => renderPipeline(state.doc),
  resources: () =>
    renderResources(gauges(), state.thresholds, isObj(state.doc.agent) && state.doc.agent.quiet === true),
  camera: () => renderCamera(dataOf("camera"), dataOf("schedule")),
  redis: () => renderRedis(state.collectors.get("redis"), dataOf("redis")),
  processes: () => renderProcesses(state.watches, state.doc, state.collectors.values(), state.serverSkewMs),
  system: () => renderSystem(state.doc, dataOf("system"), metric.temp()),
  alerts: () => renderAlerts(state.alerts.values()),
  logs: () => renderLogs([...state.liveEvents, ...state.logs]),
  /** With a new /api/jobs answer, or (none) the last one again with the document's transfers. */
  jobs: (...body: [] | [unknown]) => renderJobs(state.doc.transfers, ...body),
  controls: () => renderControls(state.control, state.recoveryAvailable),
  chartSample: (c: CollectorResultFrame) => sampleToChart(c, gauges()),
  all(): void {
    draw.header();
    draw.today();
    draw.pipeline();
    draw.resources();
    draw.camera();
    draw.redis();
    draw.processes();
    draw.system();
    draw.alerts();
    draw.jobs();
  },
};
