import { useState } from "preact/hooks";
import { api, auth } from "../api.ts";
import { clock, untilText } from "../format.ts";
import { useApi, useFocusHeading } from "../hooks.ts";
import { facets } from "../order.ts";
import { devices, now } from "../state.ts";
import type { FleetDevice, SilenceView } from "../types.ts";

type Scope = { device: string } | { site: string } | { tag: string };
const scopeText = (s: SilenceView) =>
  s.device ? `device ${s.device}` : s.site ? `site ${s.site}` : s.tag ? `tag ${s.tag}` : "everything";

const DURATIONS = { "30m": "30 minutes", "1h": "1 hour", "4h": "4 hours", "1d": "1 day", "7d": "1 week" } as const;

/** A new silence (from now) or maintenance window (from a later start), for one of the given scopes. */
function SilenceForm({ scopes, onDone }: { scopes: [string, Scope][]; onDone(): void }) {
  const [scope, setScope] = useState(0);
  const [duration, setDuration] = useState<keyof typeof DURATIONS>("1h");
  const [start, setStart] = useState("");
  const [comment, setComment] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const admin = auth.value.admin === true;
  if (!admin) return <p class="muted">Silencing alerts needs the admin token.</p>;
  const submit = async (e: Event) => {
    e.preventDefault();
    const s = scopes[scope]?.[1];
    if (!s) return;
    setBusy(true);
    setError(null);
    try {
      await api("/api/v1/silences", {
        method: "POST",
        body: { ...s, duration, comment, ...(start ? { starts_at: new Date(start).toISOString() } : {}) },
      });
      setComment("");
      setStart("");
      onDone();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="silence-form" onSubmit={submit}>
      <div class="field">
        <label for="sil-scope">Silence</label>
        <select id="sil-scope" value={scope} onChange={(e) => setScope(Number((e.target as HTMLSelectElement).value))}>
          {scopes.map(([label], i) => (
            <option key={label} value={i}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="sil-for">For</label>
        <select
          id="sil-for"
          value={duration}
          onChange={(e) => setDuration((e.target as HTMLSelectElement).value as keyof typeof DURATIONS)}
        >
          {Object.entries(DURATIONS).map(([k, v]) => (
            <option key={k} value={k}>
              {v}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="sil-start">Starting (empty: now; later: a maintenance window)</label>
        <input
          id="sil-start"
          type="datetime-local"
          value={start}
          onInput={(e) => setStart((e.target as HTMLInputElement).value)}
        />
      </div>
      <div class="field grow">
        <label for="sil-comment">Why</label>
        <input
          id="sil-comment"
          value={comment}
          maxLength={500}
          onInput={(e) => setComment((e.target as HTMLInputElement).value)}
        />
      </div>
      <button type="submit" class="primary" disabled={busy}>
        {start ? "Plan maintenance" : "Silence"}
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function SilenceList({ list, onDone }: { list: SilenceView[]; onDone(): void }) {
  const t = now.value;
  const admin = auth.value.admin === true;
  const [error, setError] = useState<string | null>(null);
  const active = list.filter((s) => s.ends_at > t).sort((a, b) => a.starts_at - b.starts_at);
  if (active.length === 0) return <p class="muted">No silence or maintenance window is active or planned.</p>;
  return (
    <>
      <ul class="rows silences">
        {active.map((s) => (
          <li key={s.id}>
            <span class="pill" data-tone={s.starts_at > t ? "maintenance" : "late"}>
              {s.starts_at > t ? "planned" : "active"}
            </span>{" "}
            {scopeText(s)}: {clock(s.starts_at)} – {clock(s.ends_at)}{" "}
            <span class="muted">({untilText(s.ends_at, t)})</span>
            {s.comment && <span class="muted"> · {s.comment}</span>}{" "}
            {admin && (
              <button
                type="button"
                class="small"
                aria-label={`Remove the silence of ${scopeText(s)}`}
                onClick={() =>
                  api(`/api/v1/silences/${encodeURIComponent(s.id)}`, { method: "DELETE" })
                    .then(onDone)
                    .catch((e: Error) => setError(e.message))
                }
              >
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {error && <p class="error">{error}</p>}
    </>
  );
}

/** The silences that cover one device (its own, its site's, its tags'), and a form to add one. */
export function SilencesFor({ d }: { d: FleetDevice }) {
  const all = useApi<SilenceView[]>("/api/v1/silences");
  const mine = (all.data ?? []).filter(
    (s) => s.device === d.id || (s.site !== null && s.site === d.site) || (s.tag !== null && d.tags.includes(s.tag)),
  );
  const scopes: [string, Scope][] = [
    [`this device (${d.id})`, { device: d.id }],
    ...(d.site ? ([[`site ${d.site}`, { site: d.site }]] as [string, Scope][]) : []),
    ...d.tags.map((t) => [`tag ${t}`, { tag: t }] as [string, Scope]),
  ];
  return (
    <section aria-labelledby="h-silences" class="panel">
      <h2 id="h-silences">Silences and maintenance</h2>
      {all.error && <p class="error">{all.error}</p>}
      <SilenceList list={mine} onDone={all.reload} />
      <SilenceForm scopes={scopes} onDone={all.reload} />
    </section>
  );
}

/** #/silences: every silence of the hub; a new one for any device, site or tag. */
export function SilencesView() {
  const all = useApi<SilenceView[]>("/api/v1/silences");
  const h1 = useFocusHeading();
  const list = [...devices.value.values()].map((s) => s.peek());
  const { sites, tags } = facets(list);
  const scopes: [string, Scope][] = [
    ...sites.map((s) => [`site ${s}`, { site: s }] as [string, Scope]),
    ...tags.map((t) => [`tag ${t}`, { tag: t }] as [string, Scope]),
    ...list
      .map((d) => d.id)
      .sort()
      .map((id) => [`device ${id}`, { device: id }] as [string, Scope]),
  ];
  return (
    <section aria-labelledby="h-sil" class="panel">
      <h1 id="h-sil" ref={h1} tabIndex={-1}>
        Silences and maintenance
      </h1>
      <p class="muted">Alerts that match a silence are still recorded, but nobody is notified.</p>
      {all.error && <p class="error">{all.error}</p>}
      <SilenceList list={all.data ?? []} onDone={all.reload} />
      {scopes.length > 0 && <SilenceForm scopes={scopes} onDone={all.reload} />}
    </section>
  );
}
