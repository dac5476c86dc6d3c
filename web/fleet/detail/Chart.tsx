import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export interface Series {
  label: string;
  values: (number | null)[];
  /** Colour from the palette (CSS variable name). */
  color: string;
  unit?: string;
}

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";

/** One uPlot chart over x = epoch seconds; bars for per-day counts. A text summary is given for screen readers. */
export function Chart(props: {
  title: string;
  x: number[];
  series: Series[];
  bars?: boolean;
  max?: number;
  /** The x axis's span (epoch seconds): the time asked for, not just where the data happens to be. */
  span?: [number, number];
  summary: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || props.x.length === 0) return;
    const fg = cssVar("--muted");
    const grid = cssVar("--line");
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 160,
      legend: { show: props.series.length > 1 },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: props.span ? { time: true, range: props.span } : { time: true },
        y:
          props.max !== undefined
            ? { range: [0, props.max] }
            : { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [axis, { ...axis, size: 44 }],
      series: [
        {},
        ...props.series.map((s) => ({
          label: s.label,
          stroke: cssVar(s.color),
          fill: props.bars ? cssVar(s.color) : undefined,
          width: 2,
          spanGaps: false,
          ...(props.bars ? { paths: uPlot.paths.bars?.({ size: [0.6, 40] }) } : {}),
          value: (_u: uPlot, v: number | null) => (v === null ? "—" : `${Math.round(v * 10) / 10}${s.unit ?? ""}`),
        })),
      ],
    };
    const plot = new uPlot(opts, [props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: 160 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [props.x, props.series, props.span?.[0], props.span?.[1]]);
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      {props.x.length === 0 ? (
        <p class="muted">No data yet.</p>
      ) : (
        <div ref={box} role="img" aria-label={props.summary} />
      )}
    </figure>
  );
}
