import { useMemo, useState } from "preact/hooks";
import { SilencesFor } from "../components/Silences.tsx";
import { Thumb } from "../components/Thumb.tsx";
import { ago, bytes, clock, pct, temp, words } from "../format.ts";
import { useApi, useFocusHeading } from "../hooks.ts";
import { devices, link, now } from "../state.ts";
import type { AlertRow, CheckRow, DailyPoint, EventRow, FleetDevice, HistoryAnswer } from "../types.ts";
import { HISTORY_KEYS } from "../types.ts";
import { Chart, type Series } from "./Chart.tsx";
import { Controls } from "./Controls.tsx";

const RANGES = { "6h": "Last 6 hours", "24h": "Last 24 hours", "7d": "Last 7 days" } as const;

function History({ id }: { id: string }) {
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
    return {
      x,
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
          series={dseries}
          bars
          summary={`Photos per day: ${days
            .slice(-7)
            .map((d) => `${d.day} ${d.captures ?? "none"}`)
            .join(", ")}`}
        />
        <Chart title="Disk used" x={charts.x} series={charts.disk} max={100} summary={lastText(charts.disk)} />
        <Chart title="Temperature" x={charts.x} series={charts.temp} summary={lastText(charts.temp)} />
        <Chart title="CPU and memory" x={charts.x} series={charts.load} max={100} summary={lastText(charts.load)} />
        <Chart title="Upload success" x={charts.x} series={charts.upload} max={100} summary={lastText(charts.upload)} />
      </div>
      {daily.error && <p class="error">Photos per day: {daily.error}</p>}
    </section>
  );
}

type Line = { t: number; kind: "alert" | "event"; tone: string; text: string; source: string };

function Timeline({ id }: { id: string }) {
  const enc = encodeURIComponent(id);
  const alerts = useApi<AlertRow[]>(`/api/v1/alerts?device=${enc}&limit=50`);
  const events = useApi<EventRow[]>(`/api/v1/devices/${enc}/events?limit=100`);
  const t = (v: string | number) => (typeof v === "number" ? v : Date.parse(v));
  const evs = events.data ?? [];
  const lines: Line[] = [
    ...(alerts.data ?? []).flatMap((a) => [
      {
        t: t(a.since),
        kind: "alert" as const,
        tone: "bad",
        text: `${a.summary || a.kind} — firing${a.notified ? "" : " (silenced)"}`,
        source: a.kind,
      },
      ...(a.resolved_at
        ? [
            {
              t: t(a.resolved_at),
              kind: "alert" as const,
              tone: "ok",
              text: `${a.summary || a.kind} — resolved`,
              source: a.kind,
            },
          ]
        : []),
    ]),
    ...evs
      .filter((e) => e.source !== "recovery")
      .map((e) => ({
        t: t(e.t),
        kind: "event" as const,
        tone: e.level === "error" ? "bad" : e.level === "warn" || e.level === "warning" ? "warn" : "info",
        text: e.message,
        source: e.source,
      })),
  ].sort((a, b) => b.t - a.t);
  const recovery = evs.filter((e) => e.source === "recovery");
  return (
    <>
      <section aria-labelledby="h-timeline" class="panel">
        <h2 id="h-timeline">Alerts and events</h2>
        {(alerts.error || events.error) && <p class="error">{alerts.error ?? events.error}</p>}
        {lines.length === 0 ? (
          <p class="muted">Nothing recorded yet.</p>
        ) : (
          <ol class="timeline">
            {lines.slice(0, 60).map((l, i) => (
              <li key={`${l.t}-${i}`} data-tone={l.tone}>
                <time dateTime={new Date(l.t).toISOString()}>{clock(l.t)}</time> <span class="src">{l.source}</span>{" "}
                {l.text}
              </li>
            ))}
          </ol>
        )}
      </section>
      <section aria-labelledby="h-recovery" class="panel">
        <h2 id="h-recovery">Recovery log</h2>
        {recovery.length === 0 ? (
          <p class="muted">No recovery action recorded.</p>
        ) : (
          <ol class="timeline">
            {recovery.slice(0, 40).map((e, i) => (
              <li key={i} data-tone={e.level === "error" ? "bad" : "info"}>
                <time dateTime={new Date(t(e.t)).toISOString()}>{clock(e.t)}</time> {e.message}
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

function Checks({ id }: { id: string }) {
  const checks = useApi<CheckRow[]>(`/api/v1/checks?device=${encodeURIComponent(id)}`);
  const mine = (checks.data ?? []).filter((c) => c.device === undefined || c.device === null || c.device === id);
  return (
    <section aria-labelledby="h-checks" class="panel">
      <h2 id="h-checks">Dead-man checks</h2>
      {checks.error && <p class="error">{checks.error}</p>}
      {mine.length === 0 ? (
        <p class="muted">No check belongs to this device.</p>
      ) : (
        <ul class="rows">
          {mine.map((c) => (
            <li key={c.uuid}>
              <span class="pill" data-tone={c.state === "down" ? "down" : c.state === "up" ? "up" : "new"}>
                {c.state}
              </span>{" "}
              {c.name} <span class="muted">last ping {ago(c.last_ping)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Facts({ d }: { d: FleetDevice }) {
  const s = d.summary;
  const t = now.value;
  const row = (k: string, v: string) => (
    <div>
      <dt>{k}</dt>
      <dd>{v}</dd>
    </div>
  );
  return (
    <section aria-labelledby="h-now" class="panel now">
      <h2 id="h-now">Now</h2>
      <div class="now-body">
        {d.thumbnail ? (
          <figure class="photo">
            <Thumb
              class="big-thumb"
              url={d.thumbnail.url}
              alt={`Newest capture from ${d.id}`}
              width={320}
              height={240}
            />
            <figcaption>Taken {ago(d.thumbnail.at, t)}</figcaption>
          </figure>
        ) : null}
        <dl class="facts">
          {row("Status", words(s?.status ?? d.status))}
          {row(
            "Photos today",
            s?.captures_today == null
              ? "—"
              : `${s.captures_today}${s.captures_expected ? ` of ${s.captures_expected}` : ""}`,
          )}
          {row("Last photo", ago(s?.last_capture_at, t))}
          {row(
            "Disk used",
            `${pct(s?.disk_used_ratio)}${s?.disk_free_bytes != null ? ` (${bytes(s.disk_free_bytes)} free)` : ""}`,
          )}
          {row("Temperature", temp(s?.temperature_c))}
          {row("CPU / memory", `${pct(s?.cpu_ratio)} / ${pct(s?.memory_ratio)}`)}
          {row("Uploads", s?.upload_success_ratio == null ? "—" : `${pct(s.upload_success_ratio)} succeeded`)}
          {row("Last push", ago(d.last_seen, t))}
          {row("Push interval", `${d.interval_seconds} s (down after ${d.offline_after_seconds} s)`)}
        </dl>
      </div>
      {d.clock_ahead && (
        <p class="banner warn">This device's clock is {d.clock_offset_seconds} s ahead of the hub's.</p>
      )}
      {(d.alerts ?? []).length > 0 && (
        <>
          <h3>Firing alerts</h3>
          <ul class="alerts">
            {d.alerts.map((a) => (
              <li key={a.key} data-tone={a.severity === "critical" ? "bad" : "warn"}>
                {a.summary || a.rule}
                {a.silenced ? " (silenced)" : ""} <span class="muted">since {ago(a.since, t)}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

export function Detail({ id }: { id: string }) {
  const live = devices.value.get(id);
  // Before the stream's first snapshot (or for a device it does not list), ask the API once.
  const fetched = useApi<FleetDevice>(live ? null : `/api/v1/devices/${encodeURIComponent(id)}`, [id]);
  const d = live ?? fetched.data;
  const h1 = useFocusHeading();
  const state = d ? (d.maintenance ? "maintenance" : d.state) : "new";
  return (
    <article class="detail" aria-labelledby="device-title">
      <p>
        <a href="#/" class="back">
          ← All devices
        </a>
      </p>
      <div class="detail-head">
        <h1 id="device-title" ref={h1} tabIndex={-1}>
          {id}
        </h1>
        {d && (
          <span class="pill big" data-tone={state}>
            {state}
          </span>
        )}
      </div>
      {d ? (
        <p class="meta">
          {d.site ?? "no site"}
          {d.tags.length > 0 && ` · ${d.tags.join(", ")}`} · {d.state} since {clock(d.since)}
        </p>
      ) : (
        <p class={fetched.error ? "error" : "muted"}>
          {fetched.error ?? (link.value.state === "live" ? "Loading…" : "Waiting for the hub…")}
        </p>
      )}
      {d && <Facts d={d} />}
      {d && <Controls d={d} />}
      {d && <History id={id} />}
      {d && <SilencesFor d={d} />}
      {d && <Checks id={id} />}
      {d && <Timeline id={id} />}
    </article>
  );
}
