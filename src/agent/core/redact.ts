import { decodeSafe, REDACTED, SECRET_KEY, scrub, urlSecrets } from "../../config/secrets.ts";

export { REDACTED };

/**
 * A URL with its secrets replaced: user:password@, credential-looking query values, and path
 * segments shaped like tokens (webhook URLs: Slack /services/T/B/XXXX, Discord /api/webhooks/ID/TOKEN,
 * Telegram /botID:TOKEN/). Non-URL strings come back unchanged.
 */
export function redactUrl(value: string): string {
  const s = urlSecrets(value);
  if (!s) return value;
  const u = s.url;
  let changed = false;
  if (s.password) {
    if (u.password) u.password = REDACTED;
    else u.username = REDACTED;
    changed = true;
  }
  for (const k of s.params) {
    u.searchParams.set(k, REDACTED);
    changed = true;
  }
  if (s.segments.length) {
    const segs = u.pathname.split("/");
    for (const i of s.segments) segs[i] = REDACTED;
    u.pathname = segs.join("/");
    changed = true;
  }
  return changed ? decodeSafe(u.toString()) : value;
}

/**
 * A deep copy of `value` with every secret replaced: by key name (token, password, Authorization,
 * ...), by URL shape, and by value (every secret the loaded config holds, wherever it is quoted:
 * inside a header, a query string, an argv element).
 */
export function redact(value: unknown, key = "", depth = 0): unknown {
  if (typeof value === "string") {
    const r = redactUrl(value);
    // a secret-named key: show a URL with its secret parts replaced, anything else not at all
    if (key && SECRET_KEY.test(key) && value !== "" && r === value) return REDACTED;
    return scrub(r);
  }
  if (depth > 64) return "[too deep]";
  if (Array.isArray(value)) return value.map((v) => redact(v, key, depth + 1));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // a secret-named key holding an object (e.g. `credentials: {user, pass}`): redact every string in it
      out[k] =
        SECRET_KEY.test(k) && v !== null && typeof v === "object" ? redactAll(v, depth + 1) : redact(v, k, depth + 1);
    }
    return out;
  }
  return value;
}

function redactAll(value: unknown, depth: number): unknown {
  if (typeof value === "string") return value === "" ? value : REDACTED;
  if (depth > 64) return "[too deep]";
  if (Array.isArray(value)) return value.map((v) => redactAll(v, depth + 1));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactAll(v, depth + 1)]));
  }
  return value;
}
