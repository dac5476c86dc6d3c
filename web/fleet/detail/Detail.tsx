import { SilencesFor } from "../components/Silences.tsx";
import { Thumb } from "../components/Thumb.tsx";
import { ago, bytes, clock, pct, temp, words } from "../format.ts";
import { useApi, useFocusHeading } from "../hooks.ts";
import { devices, link, now } from "../state.ts";
import type { FleetDevice } from "../types.ts";
import { Controls } from "./Controls.tsx";
import { History } from "./History.tsx";
import { Checks, Timeline } from "./Timeline.tsx";

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
  const live = devices.value.get(id)?.value;
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
