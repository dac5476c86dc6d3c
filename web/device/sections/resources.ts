// System resources: CPU, memory, disk and temperature gauges, coloured by the agent's alert thresholds.
import type { Band } from "../../shared/api.ts";
import { $, h, isObj, tone } from "../../shared/dom.ts";
import { metric, state } from "../state.ts";

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

export function renderResources(): void {
  // Warning/critical as the agent's rules judge them (alerts.rules.cpu|memory|disk|temperature).
  const t = state.thresholds;
  const by = (value: number | undefined, band: Band | undefined) =>
    band ? tone(value, band.warning, band.critical) : undefined;
  const cpu = metric.cpu();
  const mem = metric.memory();
  const disk = metric.disk();
  const temp = metric.temp();
  const bars = [
    gauge("CPU", cpu, "%", by(cpu, t?.cpu)),
    gauge("Memory", mem, "%", by(mem, t?.memory)),
    gauge("Disk", disk, "%", by(disk, t?.disk)),
    gauge("Temperature", temp, "°C", by(temp, t?.temperature), 90),
  ];
  const quiet = isObj(state.doc.agent) && state.doc.agent.quiet === true;
  $("resources").replaceChildren(
    ...(quiet ? [h("p", { class: "muted" }, "Sampling paused while the device encodes video.")] : []),
    ...bars,
  );
}
