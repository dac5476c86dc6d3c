// Performance: CPU, memory and temperature over time (uPlot), from the history and live samples.
import uPlot from "uplot";
import type { CollectorResultFrame, HistoryView } from "../../shared/api.ts";
import { $, numOf, stamp } from "../../shared/dom.ts";
import { parseTime } from "../../shared/format.ts";
import type { GaugeValues } from "./resources.ts";

const CHART_POINTS = 720;

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

export function drawChart(): void {
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

/** A new system or thermal sample: one point of the current values. */
export function sampleToChart(c: CollectorResultFrame, v: GaugeValues): void {
  if (c.collector !== "system" && c.collector !== "thermal") return;
  addPoint(Math.floor(c.at / 1000), v.cpu, v.memory, v.temperature);
  drawChart();
}

/**
 * The history the agent kept (/api/dashboard's `history`, as /api/metrics/history): flat keys named
 * `<collector>.<field>`, ratios 0–1.
 */
export function loadHistory(body: HistoryView): void {
  const pts: [number, number | undefined, number | undefined, number | undefined][] = [];
  const value = (s: HistoryView["samples"][number], key: string, scale = 1) => {
    const n = numOf(s[key]);
    return n === undefined ? undefined : n * scale;
  };
  for (const s of body.samples) {
    const t = parseTime(s.timestamp);
    if (!Number.isFinite(t)) continue;
    pts.push([
      Math.floor(t / 1000),
      value(s, "system.cpu_usage_ratio", 100),
      value(s, "system.memory_usage_ratio", 100),
      value(s, "thermal.cpu_temperature_celsius"),
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
