import { useMemo, useState } from "preact/hooks";
import { useApi } from "../hooks.ts";
import type { DailyPoint, HistoryAnswer } from "../types.ts";
import { HISTORY_KEYS } from "../types.ts";
import { Chart, type Series } from "./Chart.tsx";

const RANGES = { "6h": "Last 6 hours", "24h": "Last 24 hours", "7d": "Last 7 days" } as const;

/** The device's charts: photos per day, disk, temperature, CPU and memory, upload success. */
export function History({ id }: { id: string }) {
  const [range, setRange] = useState<keyof typeof RANGES>("24h");
  const enc = encodeURIComponent(id);
  const hist = useApi<HistoryAnswer>(`/api/v1/devices/${enc}/history?from=-${range}`);
  const daily = useApi<DailyPoint[]>(`/api/v1/devices/${enc}/daily?days=30`);
  const charts = useMemo(() => {
    const pts = hist.data?.points ?? [];
    const x = pts.map((p) => Date.parse(p.t) / 1000);
    const key = (k: string, scale = 1) => pts.map((p) => (p.values[k] ? p.values[k].avg * scale : null));
    const s = (label: string, values: (number | null)[], color: string, unit: string): Series => ({
      label,
      values,
      color,
      unit,
    });
    const span: [number, number] | undefined = hist.data
      ? [Date.parse(hist.data.from) / 1000, Date.parse(hist.data.to) / 1000]
      : undefined;
    return {
      x,
      span,
      disk: [s("Disk used", key(HISTORY_KEYS.disk, 100), "--info", " %")],
      temp: [s("Temperature", key(HISTORY_KEYS.temperature), "--warn", " °C")],
      load: [
        s("CPU", key(HISTORY_KEYS.cpu, 100), "--info", " %"),
        s("Memory", key(HISTORY_KEYS.memory, 100), "--ok", " %"),
      ],
      upload: [s("Upload success", key(HISTORY_KEYS.upload, 100), "--ok", " %")],
    };
  }, [hist.data]);
  const days = daily.data ?? [];
  const dx = useMemo(() => days.map((d) => Date.parse(`${d.day}T12:00:00`) / 1000), [daily.data]);
  // Whole days: the first bar's day starts the axis, the last one's ends it.
  const dspan = useMemo(
    (): [number, number] | undefined =>
      dx.length ? [(dx[0] as number) - 43_200, (dx.at(-1) as number) + 43_200] : undefined,
    [dx],
  );
  const dseries = useMemo(
    () => [{ label: "Photos", values: days.map((d) => d.captures), color: "--info" }] as Series[],
    [daily.data],
  );
  const last = (v: (number | null)[]) => v.filter((n) => n !== null).at(-1);
  const lastText = (series: Series[]) =>
    series
      .map(
        (s) =>
          `${s.label}: ${last(s.values) === undefined ? "no data" : `${Math.round(last(s.values) as number)}${s.unit ?? ""} now`}`,
      )
      .join(", ");
  return (
    <section aria-labelledby="h-history" class="panel">
      <div class="panel-head">
        <h2 id="h-history">History</h2>
        <label>
          <span class="visually-hidden">Time range</span>
          <select
            value={range}
            onChange={(e) => setRange((e.target as HTMLSelectElement).value as keyof typeof RANGES)}
          >
            {Object.entries(RANGES).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        </label>
      </div>
      {hist.error && <p class="error">History: {hist.error}</p>}
      <div class="charts">
        <Chart
          title="Photos per day (30 days)"
          x={dx}
          span={dspan}
          series={dseries}
          bars
          summary={`Photos per day: ${days
            .slice(-7)
            .map((d) => `${d.day} ${d.captures ?? "none"}`)
            .join(", ")}`}
        />
        <Chart
          title="Disk used"
          x={charts.x}
          span={charts.span}
          series={charts.disk}
          max={100}
          summary={lastText(charts.disk)}
        />
        <Chart
          title="Temperature"
          x={charts.x}
          span={charts.span}
          series={charts.temp}
          summary={lastText(charts.temp)}
        />
        <Chart
          title="CPU and memory"
          x={charts.x}
          span={charts.span}
          series={charts.load}
          max={100}
          summary={lastText(charts.load)}
        />
        <Chart
          title="Upload success"
          x={charts.x}
          span={charts.span}
          series={charts.upload}
          max={100}
          summary={lastText(charts.upload)}
        />
      </div>
      {daily.error && <p class="error">Photos per day: {daily.error}</p>}
    </section>
  );
}
