import { useState } from "preact/hooks";
import { api, auth } from "../api.ts";
import { clock } from "../format.ts";
import { useApi, useFocusHeading } from "../hooks.ts";
import type { ShareView } from "../types.ts";

const EXPIRY = { "1d": "1 day", "7d": "1 week", "30d": "30 days", "": "never" } as const;

/** #/sharing (admin): read-only links for people who should see the fleet but not change it. */
export function Sharing() {
  const h1 = useFocusHeading();
  const admin = auth.value.admin === true;
  const list = useApi<ShareView[]>(admin ? "/api/v1/shares" : null, [admin]);
  const [label, setLabel] = useState("");
  const [expires, setExpires] = useState<keyof typeof EXPIRY>("7d");
  const [made, setMade] = useState<{ url: string; label: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await api<ShareView & { url: string }>("/api/v1/shares", {
        method: "POST",
        body: { label: label.trim() || "shared view", ...(expires ? { expires_in: expires } : {}) },
      });
      setMade({ url: r.url, label: r.label });
      setLabel("");
      list.reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section aria-labelledby="h-share" class="panel">
      <h1 id="h-share" ref={h1} tabIndex={-1}>
        Sharing
      </h1>
      {!admin ? (
        <p class="muted">Share links are made with the admin token.</p>
      ) : (
        <>
          <p class="muted">
            A share link shows the fleet read-only. Whoever has it can look until it expires or is revoked.
          </p>
          <form class="silence-form" onSubmit={create}>
            <div class="field grow">
              <label for="sh-label">Who is it for</label>
              <input
                id="sh-label"
                value={label}
                maxLength={100}
                onInput={(e) => setLabel((e.target as HTMLInputElement).value)}
              />
            </div>
            <div class="field">
              <label for="sh-exp">Expires after</label>
              <select
                id="sh-exp"
                value={expires}
                onChange={(e) => setExpires((e.target as HTMLSelectElement).value as keyof typeof EXPIRY)}
              >
                {Object.entries(EXPIRY).map(([k, v]) => (
                  <option key={k} value={k}>
                    {v}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit" class="primary">
              Create a link
            </button>
          </form>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          {made && (
            <div class="made" role="status">
              <label for="sh-url">Link for {made.label} (shown once: copy it now)</label>
              <input id="sh-url" readOnly value={made.url} onFocus={(e) => (e.target as HTMLInputElement).select()} />
              <button type="button" onClick={() => void navigator.clipboard?.writeText(made.url)}>
                Copy
              </button>
            </div>
          )}
          <h2>Links</h2>
          {list.error && <p class="error">{list.error}</p>}
          {(list.data ?? []).length === 0 ? (
            <p class="muted">No share link yet.</p>
          ) : (
            <ul class="rows">
              {(list.data ?? []).map((s) => (
                <li key={s.id}>
                  {s.label}{" "}
                  <span class="muted">
                    made {clock(s.created_at)} · {s.expires_at ? `expires ${clock(s.expires_at)}` : "never expires"}
                  </span>{" "}
                  <button
                    type="button"
                    class="small"
                    aria-label={`Revoke the link for ${s.label}`}
                    onClick={() =>
                      api(`/api/v1/shares/${encodeURIComponent(s.id)}`, { method: "DELETE" })
                        .then(list.reload)
                        .catch((e: Error) => setError(e.message))
                    }
                  >
                    Revoke
                  </button>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
