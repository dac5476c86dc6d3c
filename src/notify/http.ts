import type { SendResult } from "./types.ts";

/** Retry-After as seconds or an HTTP date → ms; undefined when absent or unreadable. */
export function retryAfterHeader(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const s = Number(value);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** 2xx ok; 429 and 5xx retry; other 4xx permanent (dead-lettered with the reason). */
export function classify(status: number, body: string, retryAfterMs?: number): SendResult {
  if (status >= 200 && status < 300) return { ok: true, detail: `HTTP ${status}` };
  const reason = `HTTP ${status}${body ? `: ${body.slice(0, 300)}` : ""}`;
  if (status === 429 || status >= 500 || status === 408) {
    return retryAfterMs === undefined
      ? { ok: false, permanent: false, reason }
      : { ok: false, permanent: false, reason, retryAfterMs };
  }
  return { ok: false, permanent: true, reason };
}

export interface PostOptions {
  headers?: Record<string, string>;
  signal: AbortSignal;
  timeoutMs: number;
}

/** POST and classify; network errors and timeouts are retryable. `onBody` may refine the result (e.g. JSON retry_after). */
export async function post(
  url: string,
  body: string,
  opts: PostOptions,
  onBody?: (status: number, text: string, headers: Headers) => SendResult | undefined,
): Promise<SendResult> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method: "POST",
      body,
      headers: opts.headers ?? { "content-type": "application/json" },
      signal: AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]),
    });
    text = await res.text();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.cause?.code ?? e.cause?.message ?? e.message;
    return { ok: false, permanent: false, reason: `cannot reach ${redactUrl(url)}: ${why}` };
  }
  const refined = onBody?.(res.status, text, res.headers);
  if (refined) return refined;
  return classify(res.status, text, retryAfterHeader(res.headers.get("retry-after")));
}

/** Hide path secrets (bot tokens, webhook tokens) in logs and dead-letter reasons. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.length > 1 ? "/…" : "/"}`;
  } catch {
    return "(url)";
  }
}

/**
 * Fit text into `limit` characters: split into numbered parts (at line breaks where possible), at most
 * `maxParts`; whatever is left after that is cut with a visible "…[truncated N chars]" marker.
 */
export function splitText(text: string, limit: number, maxParts = 4): string[] {
  if (text.length <= limit) return [text];
  const room = limit - 12; // "(10/10) " prefix and slack
  const parts: string[] = [];
  let rest = text;
  while (rest.length > 0 && parts.length < maxParts) {
    if (rest.length <= room) {
      parts.push(rest);
      rest = "";
      break;
    }
    let cut = rest.lastIndexOf("\n", room);
    if (cut < room / 2) cut = room;
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^\n/, "");
  }
  if (rest.length > 0) {
    const last = parts.pop() as string;
    const marker = `…[truncated ${rest.length} chars]`;
    parts.push(last.slice(0, room - marker.length) + marker);
  }
  return parts.length === 1 ? parts : parts.map((p, i) => `(${i + 1}/${parts.length}) ${p}`);
}

/** Cut to `limit` characters with a visible marker. */
export function truncateText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const marker = "…[truncated]";
  return text.slice(0, limit - marker.length) + marker;
}
