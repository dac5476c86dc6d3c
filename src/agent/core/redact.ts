export const REDACTED = "<redacted>";

/** Key names whose string values are secrets, whatever they look like. */
const SECRET_KEY =
  /(^|_|-)(token|tokens|password|passwd|pass|secret|secrets|api_?key|apikey|key|private_?key|credentials?|auth|authorization|bearer|cookie|session|signature|sig|webhook|webhook_url|dsn)$/i;

/** Query parameters that carry credentials. */
const SECRET_PARAM = /^(token|access_token|api_?key|apikey|key|secret|password|pass|sig|signature|auth|code)$/i;

/** A path segment that looks like a credential: long and random-ish (Slack/Discord/Telegram webhook tokens). */
function tokenLike(seg: string): boolean {
  if (/^bot\d+:[\w-]{20,}$/.test(seg)) return true; // Telegram: /bot123456:ABC.../sendMessage
  if (seg.length < 16 || !/^[\w:.~-]+$/.test(seg)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /\d/].filter((r) => r.test(seg)).length;
  return classes >= 2 && !/^[a-z]+(-[a-z]+)*$/.test(seg);
}

/**
 * A URL with its secrets replaced: user:password@, credential-looking query values, and path
 * segments shaped like tokens (webhook URLs: Slack /services/T/B/XXXX, Discord /api/webhooks/ID/TOKEN,
 * Telegram /botID:TOKEN/). Non-URL strings come back unchanged.
 */
export function redactUrl(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return value;
  }
  let changed = false;
  if (u.username || u.password) {
    if (u.password) u.password = REDACTED;
    else u.username = REDACTED;
    changed = true;
  }
  for (const k of [...u.searchParams.keys()]) {
    if (SECRET_PARAM.test(k)) {
      u.searchParams.set(k, REDACTED);
      changed = true;
    }
  }
  const segs = u.pathname.split("/");
  const isWebhook = /hooks|webhook/i.test(u.hostname + u.pathname);
  const newSegs = segs.map((s, i) => {
    const d = decodeURIComponentSafe(s);
    const webhookSecret =
      isWebhook &&
      /^[\w:.~-]+$/.test(d) &&
      ((d.length >= 16 && /[a-z]/i.test(d)) || (i === segs.length - 1 && d.length >= 8 && /\d/.test(d)));
    if (tokenLike(d) || webhookSecret) {
      changed = true;
      return REDACTED;
    }
    return s;
  });
  if (!changed) return value;
  u.pathname = newSegs.join("/");
  return decodeURIComponentSafe(u.toString());
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A deep copy of `value` with every secret replaced, by key name and by URL shape. */
export function redact(value: unknown, key = ""): unknown {
  if (typeof value === "string") {
    const r = redactUrl(value);
    // a secret-named key: show a URL with its secret parts replaced, anything else not at all
    if (key && SECRET_KEY.test(key) && value !== "" && r === value) return REDACTED;
    return r;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, key));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // a secret-named key holding an object (e.g. `credentials: {user, pass}`): redact every string in it
      out[k] = SECRET_KEY.test(k) && v !== null && typeof v === "object" ? redactAll(v) : redact(v, k);
    }
    return out;
  }
  return value;
}

function redactAll(value: unknown): unknown {
  if (typeof value === "string") return value === "" ? value : REDACTED;
  if (Array.isArray(value)) return value.map(redactAll);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactAll(v)]));
  }
  return value;
}
