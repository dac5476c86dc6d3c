import type { Signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { ago, bytes, pct, temp, words } from "../format.ts";
import { arrange, type Filters, facets, openAlerts } from "../order.ts";
import { devices, filters, link, now, overview, setFilters } from "../state.ts";
import type { FleetDevice } from "../types.ts";
import { Thumb } from "./Thumb.tsx";

/** The device last opened: its card gets the focus back when the list returns. */
export let lastOpened: string | null = null;

function Summary() {
  const o = overview.value;
  const f = filters.value.state;
  const item = (state: Filters["state"], n: number | undefined, label: string, tone: string) => (
    <li>
      <button
        type="button"
        class="count"
        data-tone={n ? tone : "none"}
        aria-pressed={f === state}
        onClick={() => setFilters({ state: f === state ? "" : state })}
      >
        <strong>{n ?? "–"}</strong> {label}
      </button>
    </li>
  );
  return (
    <section aria-label="Fleet summary" class="summary">
      <h1 tabIndex={-1}>
        {o ? `${o.devices} device${o.devices === 1 ? "" : "s"}` : "Devices"}
        {o && o.down + o.late + o.alerts_firing === 0 && o.devices > 0 && <span class="allgood"> · all fine</span>}
      </h1>
      <ul class="counts" aria-label="Show only">
        {item("up", o?.up, "up", "ok")}
        {item("late", o?.late, "late", "warn")}
        {item("down", o?.down, "down", "bad")}
        {item("maintenance", o?.maintenance, "maintenance", "info")}
        {item("alerts", o?.alerts_firing, o?.alerts_firing === 1 ? "alert firing" : "alerts firing", "bad")}
      </ul>
    </section>
  );
}

function Toolbar({ sites, tags }: { sites: string[]; tags: string[] }) {
  const f = filters.value;
  return (
    <form class="toolbar" aria-label="Filter devices" onSubmit={(e) => e.preventDefault()}>
      <div class="field grow">
        <label for="f-q">Search by name</label>
        <input
          id="f-q"
          type="search"
          value={f.q}
          placeholder="cam-…"
          onInput={(e) => setFilters({ q: (e.target as HTMLInputElement).value })}
        />
      </div>
      <div class="field">
        <label for="f-site">Site</label>
        <select
          id="f-site"
          value={f.site}
          onChange={(e) => setFilters({ site: (e.target as HTMLSelectElement).value })}
        >
          <option value="">All sites</option>
          {sites.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="f-tag">Tag</label>
        <select id="f-tag" value={f.tag} onChange={(e) => setFilters({ tag: (e.target as HTMLSelectElement).value })}>
          <option value="">All tags</option>
          {tags.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="f-group">Group by</label>
        <select
          id="f-group"
          value={f.group}
          onChange={(e) => setFilters({ group: (e.target as HTMLSelectElement).value as Filters["group"] })}
        >
          <option value="none">Nothing</option>
          <option value="site">Site</option>
          <option value="tag">Tag</option>
        </select>
      </div>
    </form>
  );
}

const STATE_TEXT = { up: "up", late: "late", down: "down", new: "new" } as const;

/** One device at a glance: re-renders when its own device changes (and, unless it is up, with the clock). */
export function Card({ sig }: { sig: Signal<FleetDevice> }) {
  const d = sig.value;
  const t = d.state === "up" ? 0 : now.value;
  const s = d.summary ?? ({} as Partial<FleetDevice["summary"]>);
  const alerts = openAlerts(d);
  const state = d.maintenance ? "maintenance" : d.state;
  const done = s.captures_today ?? null;
  const goal = s.captures_expected ?? null;
  const disk = s.disk_used_ratio ?? null;
  return (
    <li class="card-item">
      <a
        class="card"
        href={`#/device/${encodeURIComponent(d.id)}`}
        data-id={d.id}
        data-state={state}
        onClick={() => {
          lastOpened = d.id;
        }}
      >
        <div class="card-head">
          <h3 class="name">{d.id}</h3>
          <span class="pill" data-tone={state}>
            {d.maintenance ? "maintenance" : STATE_TEXT[d.state]}
          </span>
        </div>
        <p class="meta">
          {d.site ?? "no site"} · {(s.status ?? d.status) ? words(s.status ?? d.status) : "no status yet"}
          {d.state !== "up" && ` · seen ${ago(d.last_seen, Math.max(t, Date.now()))}`}
        </p>
        <div class="card-body">
          {d.thumbnail ? (
            <Thumb class="thumb" url={d.thumbnail.url} alt={`Newest capture from ${d.id}`} width={96} height={72} />
          ) : (
            <div class="thumb none" aria-hidden="true">
              no photo
            </div>
          )}
          <dl class="figures">
            <div>
              <dt>Today</dt>
              <dd>
                {done === null ? "—" : goal ? `${done} / ${goal}` : `${done}`}
                {goal && done !== null ? (
                  <span class="bar" aria-hidden="true">
                    <span style={{ width: `${Math.min(100, (done / goal) * 100)}%` }} />
                  </span>
                ) : null}
              </dd>
            </div>
            <div>
              <dt>Disk</dt>
              <dd data-tone={disk !== null && disk > 0.9 ? "bad" : disk !== null && disk > 0.8 ? "warn" : undefined}>
                {pct(disk)}
                {s.disk_free_bytes != null && <span class="muted"> ({bytes(s.disk_free_bytes)} free)</span>}
              </dd>
            </div>
            <div>
              <dt>Temp.</dt>
              <dd>{temp(s.temperature_c)}</dd>
            </div>
          </dl>
        </div>
        {alerts.length > 0 && (
          <ul class="alerts" aria-label={`Firing alerts of ${d.id}`}>
            {alerts.slice(0, 3).map((a) => (
              <li key={a.key} data-tone={a.severity === "critical" ? "bad" : "warn"}>
                {a.summary || a.rule}
              </li>
            ))}
            {alerts.length > 3 && <li>and {alerts.length - 3} more</li>}
          </ul>
        )}
      </a>
    </li>
  );
}

/** How many devices the filters show (a live region), or why there are none. */
function Shown({ shown, total, filtered }: { shown: number; total: number; filtered: boolean }) {
  const state = link.value.state;
  return (
    <p class="muted shown" aria-live="polite">
      {state === "connecting" && total === 0
        ? "Loading…"
        : filtered
          ? `${shown} of ${total} devices shown. `
          : total === 0 && state === "live"
            ? "No device has enrolled with this hub yet."
            : ""}
      {filtered && (
        <button type="button" class="linkish" onClick={() => setFilters({ q: "", site: "", tag: "", state: "" })}>
          Show all
        </button>
      )}
    </p>
  );
}

export function Fleet() {
  const all = devices.value;
  const f = filters.value;
  // The list reads each device without subscribing to it: a card follows its own device.
  const list = [...all.values()].map((s) => s.peek());
  const groups = arrange(list, f);
  const { sites, tags } = facets(list);
  const shown = groups.reduce((n, [, l]) => n + l.length, 0);
  useEffect(() => {
    if (!lastOpened) return;
    document.querySelector<HTMLElement>(`a.card[data-id="${CSS.escape(lastOpened)}"]`)?.focus();
    lastOpened = null;
  }, []);
  const filtered = f.q || f.site || f.tag || f.state;
  return (
    <>
      <Summary />
      <Toolbar sites={sites} tags={tags} />
      <Shown shown={shown} total={all.size} filtered={!!filtered} />
      {groups.map(([name, list]) => (
        <section key={name || "all"} aria-label={name ? `${f.group} ${name}` : "Devices"}>
          {name && (
            <h2 class="group">
              {name} <span class="muted">({list.length})</span>
            </h2>
          )}
          <ul class="cards">
            {list.map((d) => (
              <Card key={d.id} sig={all.get(d.id) as Signal<FleetDevice>} />
            ))}
          </ul>
        </section>
      ))}
    </>
  );
}
