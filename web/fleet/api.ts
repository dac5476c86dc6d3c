// The hub's JSON API with the visitor's token: a share link (#share=<token>, kept for this tab),
// or a viewer/admin token pasted in the settings (kept for this tab, or on this device if asked).
import { signal } from "@preact/signals";

const KEY = "edgewatch.fleet.token";

export interface Auth {
  token: string | null;
  /** Where the token came from: a share link, or pasted in the settings. */
  from: "share" | "pasted" | null;
  remembered: boolean;
  /** Whether the token may change things (admin): null until the hub has been asked. */
  admin: boolean | null;
}

function readStored(): Auth {
  try {
    const m = /(?:^#|&)share=([^&]+)/.exec(location.hash);
    if (m?.[1]) {
      const token = decodeURIComponent(m[1]);
      sessionStorage.setItem(KEY, JSON.stringify({ token, from: "share" }));
      // The token must not stay in the address bar (screenshots, history, a link shared on).
      history.replaceState(null, "", location.pathname + location.search);
      return { token, from: "share", remembered: false, admin: null };
    }
    const s = sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY);
    if (s) {
      const v = JSON.parse(s) as { token?: unknown; from?: unknown };
      if (typeof v.token === "string" && v.token) {
        return {
          token: v.token,
          from: v.from === "share" ? "share" : "pasted",
          remembered: localStorage.getItem(KEY) !== null,
          admin: null,
        };
      }
    }
  } catch {
    // Storage can be disabled (private mode): the page still works for this visit.
  }
  return { token: null, from: null, remembered: false, admin: null };
}

export const auth = signal<Auth>(readStored());

export function setToken(token: string | null, remember: boolean): void {
  try {
    sessionStorage.removeItem(KEY);
    localStorage.removeItem(KEY);
    if (token) (remember ? localStorage : sessionStorage).setItem(KEY, JSON.stringify({ token, from: "pasted" }));
  } catch {}
  auth.value = { token, from: token ? "pasted" : null, remembered: !!token && remember, admin: null };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function headers(extra: Record<string, string> = {}): Record<string, string> {
  const t = auth.value.token;
  return t ? { ...extra, Authorization: `Bearer ${t}` } : extra;
}

/** One API call; a non-2xx answer throws ApiError with the hub's own message. */
export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}) {
  const res = await fetch(path, {
    method: init.method ?? "GET",
    headers: headers(init.body === undefined ? {} : { "Content-Type": "application/json" }),
    body: init.body === undefined ? null : JSON.stringify(init.body),
    cache: "no-store",
    signal: init.signal ?? null,
  });
  const text = await res.text();
  if (!res.ok) {
    let msg = text.slice(0, 300) || res.statusText;
    try {
      const j = JSON.parse(text) as { error?: unknown };
      if (typeof j.error === "string") msg = j.error;
    } catch {}
    throw new ApiError(res.status, msg);
  }
  return (text ? JSON.parse(text) : null) as T;
}

/** Asks the hub what the current token may do (GET /api/v1/whoami never refuses); false: it may not read. */
export async function checkAccess(): Promise<boolean> {
  const asked = auth.value;
  const r = await api<{ read: boolean; write: boolean }>("/api/v1/whoami");
  if (auth.value === asked) auth.value = { ...asked, admin: r.write };
  return r.read;
}
