import { gunzipSync } from "node:zlib";
import type { Received } from "./helpers.ts";

/**
 * Loki's documented push contract (POST /loki/api/v1/push, JSON form, Loki 3.x default limits), as a
 * check a local receiver runs on every request — no Loki server can be installed here. Returns the
 * 400 reason Loki would give, or null with the decoded streams.
 */
export interface LokiStream {
  stream: Record<string, string>;
  values: [string, string, Record<string, string>?][];
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const WEEK_NS = 7n * 24n * 3600n * 1_000_000_000n;
const FUTURE_NS = 10n * 60n * 1_000_000_000n;

export function checkLokiPush(r: Received, now = Date.now()): { error: string } | { streams: LokiStream[] } {
  if (r.url !== "/loki/api/v1/push") return { error: `404: path ${r.url}` };
  if (!String(r.headers["content-type"]).startsWith("application/json"))
    return { error: `unsupported content type ${r.headers["content-type"]}` };
  let text: string;
  try {
    text = r.headers["content-encoding"] === "gzip" ? gunzipSync(r.body).toString("utf8") : r.body.toString("utf8");
  } catch {
    return { error: "body is not gzip" };
  }
  // Loki's gRPC and HTTP servers take at most 4 MiB per message by default (grpc_server_max_recv_msg_size).
  if (Buffer.byteLength(text) > 4 * 1024 * 1024)
    return { error: `push of ${Buffer.byteLength(text)} bytes is over 4 MiB` };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { error: "body is not JSON" };
  }
  const streams = (body as { streams?: unknown }).streams;
  if (!Array.isArray(streams)) return { error: "expected {streams: [...]}" };
  const nowNs = BigInt(now) * 1_000_000n;
  for (const s of streams as LokiStream[]) {
    if (typeof s.stream !== "object" || s.stream === null) return { error: "stream: expected an object of labels" };
    const labels = Object.entries(s.stream);
    if (labels.length === 0) return { error: "error at least one label pair is required per stream" };
    if (labels.length > 15) return { error: `stream has ${labels.length} labels, limit: 15` };
    for (const [k, v] of labels) {
      if (!LABEL_NAME.test(k) || k.length > 1024) return { error: `invalid label name ${k}` };
      if (typeof v !== "string" || v === "" || v.length > 2048) return { error: `invalid value for label ${k}` };
    }
    if (!Array.isArray(s.values) || s.values.length === 0) return { error: "values: expected a non-empty array" };
    for (const v of s.values) {
      if (!Array.isArray(v) || v.length < 2 || v.length > 3) return { error: "value: expected [ts, line, metadata?]" };
      const [ts, line, md] = v;
      if (typeof ts !== "string" || !/^\d{1,19}$/.test(ts))
        return { error: `timestamp: expected a string of nanoseconds, got ${JSON.stringify(ts)}` };
      const n = BigInt(ts);
      if (n < nowNs - WEEK_NS) return { error: "entry too far behind" };
      if (n > nowNs + FUTURE_NS) return { error: "entry too far in the future" };
      if (typeof line !== "string") return { error: "line: expected a string" };
      if (Buffer.byteLength(line) > 256 * 1024) return { error: "line too long" };
      if (md !== undefined) {
        if (typeof md !== "object" || md === null || Array.isArray(md))
          return { error: "structured metadata: expected an object" };
        for (const [k, mv] of Object.entries(md)) {
          if (!LABEL_NAME.test(k) || typeof mv !== "string")
            return { error: `structured metadata ${k}: expected a string` };
        }
      }
    }
  }
  return { streams: streams as LokiStream[] };
}
