// System resources: CPU, memory, disk and temperature gauges.
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
