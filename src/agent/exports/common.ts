import { join } from "node:path";
import { z } from "zod";
import { duration } from "../../config/kit.ts";
import { type HttpAnswer, request } from "../../lib/http-request.ts";
import { classify, redactUrl, retryAfterHeader } from "../../notify/http.ts";
import type { SendResult } from "../../notify/types.ts";

/** Options every queued export shares. */
export const queueOptions = () =>
  z
    .strictObject({
      max_bytes: z
        .number()
        .int()
        .min(65_536)
        .default(8 * 1024 * 1024)
        .describe("Byte budget of this export's queue (memory and disk); beyond it the oldest are dropped, counted"),
      flush_interval: duration()
        .prefault("60s")
        .describe(
          "Items still unsent after this long are written to the state dir, many per file (nothing is written while the receiver answers)",
        ),
      backoff_initial: duration().prefault("5s").describe("First retry delay (doubles each attempt, with jitter)"),
      backoff_max: duration().prefault("5m").describe("Longest retry delay"),
    })
    .prefault({})
    .describe("The export's bounded queue under state_dir/exports and its retries");

export const authOptions = () => ({
  basic_auth: z
    .strictObject({
      username: z.string().min(1).describe("User name (Grafana Cloud: the instance ID)"),
      password: z.string().min(1).describe("Password or API token"),
    })
    .optional()
    .describe("HTTP basic auth"),
  bearer_token: z.string().min(1).optional().describe("Sent as Authorization: Bearer <token>"),
  headers: z
    .record(z.string(), z.string())
    .default({})
    .describe("Extra request headers, e.g. X-Scope-OrgID for Mimir or Loki with several tenants"),
});

/** Authorization and extra headers from the options authOptions() describes. */
export function authHeaders(cfg: {
  basic_auth?: { username: string; password: string } | undefined;
  bearer_token?: string | undefined;
  headers: Record<string, string>;
}): Record<string, string> {
  const h: Record<string, string> = {};
  if (cfg.basic_auth) {
    h.authorization = `Basic ${Buffer.from(`${cfg.basic_auth.username}:${cfg.basic_auth.password}`).toString("base64")}`;
  } else if (cfg.bearer_token) h.authorization = `Bearer ${cfg.bearer_token}`;
  return { ...h, ...cfg.headers };
}

/** "remote_write/grafana" from the type and an instance name or the URL's host. */
export function exportName(type: string, name: string | undefined, url: string): string {
  if (name) return `${type}/${name}`;
  try {
    return `${type}/${new URL(url).host}`;
  } catch {
    return type;
  }
}

export const USER_AGENT = "edgewatch-agent/0.1.0";

/** The folder an export keeps its files in: <state_dir>/exports/<name, made file-safe>. */
export function exportDir(base: string, name: string): string {
  return join(base, name.replace(/[^A-Za-z0-9_.-]/g, "_"));
}

/**
 * POST with node:http and classify the answer like the notification channels do: 2xx ok, 408/429/5xx
 * and network errors retryable (Retry-After honoured), any other 4xx permanent. `onAnswer` sees every
 * answer (e.g. for its Date header).
 */
export async function postExport(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
  onAnswer?: (a: HttpAnswer) => void,
): Promise<SendResult> {
  let a: HttpAnswer;
  try {
    a = await request(url, { method: "POST", body, headers, timeoutMs, signal });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, permanent: false, reason: `cannot reach ${redactUrl(url)}: ${e.code ?? e.message}` };
  }
  onAnswer?.(a);
  const ra = a.headers["retry-after"];
  return classify(a.status, a.body, retryAfterHeader(typeof ra === "string" ? ra : null));
}
