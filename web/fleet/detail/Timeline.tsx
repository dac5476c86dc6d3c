import { ago, clock } from "../format.ts";
import { useApi } from "../hooks.ts";
import type { AlertRow, CheckRow, EventRow } from "../types.ts";

type Line = { t: number; kind: "alert" | "event"; tone: string; text: string; source: string };

/** The hub's alerts and the device's events, newest first; the recovery log apart. */
export function Timeline({ id }: { id: string }) {
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

/** The dead-man checks that belong to the device. */
export function Checks({ id }: { id: string }) {
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
