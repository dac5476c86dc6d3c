// System resources: CPU, memory, disk and temperature gauges, coloured by the agent's alert thresholds.
import type { Band, GaugeThresholds } from "../../shared/api.ts";
import { $, h, tone } from "../../shared/dom.ts";

/** The gauges' values: CPU, memory and disk in %, temperature in °C (undefined: no data). */
export interface GaugeValues {
  cpu: number | undefined;
  memory: number | undefined;
  disk: number | undefined;
  temperature: number | undefined;
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

export function renderResources(v: GaugeValues, t: GaugeThresholds | null, quiet: boolean): void {
  // Warning/critical as the agent's rules judge them (alerts.rules.cpu|memory|disk|temperature).
  const by = (value: number | undefined, band: Band | undefined) =>
    band ? tone(value, band.warning, band.critical) : undefined;
  const bars = [
    gauge("CPU", v.cpu, "%", by(v.cpu, t?.cpu)),
    gauge("Memory", v.memory, "%", by(v.memory, t?.memory)),
    gauge("Disk", v.disk, "%", by(v.disk, t?.disk)),
    gauge("Temperature", v.temperature, "°C", by(v.temperature, t?.temperature), 90),
  ];
  $("resources").replaceChildren(
    ...(quiet ? [h("p", { class: "muted" }, "Sampling paused while the device encodes video.")] : []),
    ...bars,
  );
}
