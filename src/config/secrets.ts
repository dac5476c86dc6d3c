export const REDACTED = "<redacted>";

/** Key names whose string values are secrets, whatever they look like. */
export const SECRET_KEY =
  /(^|_|-)(token|tokens|password|passwd|pass|secret|secrets|api_?key|apikey|key|private_?key|credentials?|auth|authorization|bearer|cookie|session|signature|sig|webhook|webhook_url|dsn)$/i;

/** Query parameters that carry credentials. */
export const SECRET_PARAM = /^(token|access_token|api_?key|apikey|key|secret|password|pass|sig|signature|auth|code)$/i;

/** Config paths an `${ENV}` value may fill without becoming a secret: identity and places, shown everywhere. */
const PUBLIC_PATH = /^(device\.(id|site)|status_dir|state_dir|http\.(bind|port)|legacy_status_file)$/;

/**
 * Values shorter than this are never redacted by value: "true" or "8080" would blank unrelated
 * text. (Short values at secret keys are still hidden in /config, by key.)
 */
export const MIN_SECRET_LENGTH = 6;

/** A path segment that looks like a credential: long and random-ish (Slack/Discord/Telegram webhook tokens). */
export function tokenLike(seg: string): boolean {
  if (/^bot\d+:[\w-]{20,}$/.test(seg)) return true; // Telegram: /bot123456:ABC.../sendMessage
  if (seg.length < 16 || !/^[\w:.~-]+$/.test(seg)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /\d/].filter((r) => r.test(seg)).length;
  return classes >= 2 && !/^[a-z]+(-[a-z]+)*$/.test(seg);
}

export function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The secret parts of a URL: user:password@, credential query values, token-shaped path segments
 * (webhook URLs: Slack /services/T/B/XXXX, Discord /api/webhooks/ID/TOKEN, Telegram /botID:TOKEN/).
 * `segments` are indexes into pathname.split("/"). null when `value` is not an absolute URL.
 */
export function urlSecrets(
  value: string,
): { url: URL; password: boolean; params: string[]; segments: number[] } | null {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  const params = [...new Set(url.searchParams.keys())].filter((k) => SECRET_PARAM.test(k));
  const segs = url.pathname.split("/");
  const isWebhook = /hooks|webhook/i.test(url.hostname + url.pathname);
  const segments: number[] = [];
  segs.forEach((s, i) => {
    const d = decodeSafe(s);
    const webhookSecret =
      isWebhook &&
      /^[\w:.~-]+$/.test(d) &&
      ((d.length >= 16 && /[a-z]/i.test(d)) || (i === segs.length - 1 && d.length >= 8 && /\d/.test(d)));
    if (tokenLike(d) || webhookSecret) segments.push(i);
  });
  return { url, password: Boolean(url.username || url.password), params, segments };
}

/** The strings of one URL that must never be shown: its credentials, secret query values, token segments. */
function secretPartsOfUrl(value: string): string[] {
  const s = urlSecrets(value);
  if (!s) return [];
  const out: string[] = [];
  if (s.url.password) out.push(s.url.password, decodeSafe(s.url.password));
  else if (s.url.username) out.push(s.url.username, decodeSafe(s.url.username));
  for (const k of s.params) for (const v of s.url.searchParams.getAll(k)) out.push(v, encodeURIComponent(v));
  const segs = s.url.pathname.split("/");
  for (const i of s.segments) out.push(segs[i] as string, decodeSafe(segs[i] as string));
  return out;
}

/** `Authorization: Bearer X`, `X-Api-Key: X`, `--token=X`, `password=X`: the X of a header or flag whose name says secret. */
function secretOfAssignment(text: string): string | null {
  const m = /^\s*-{0,2}([A-Za-z][\w-]*)\s*[:=]\s*(.+)$/.exec(text);
  if (!m || !SECRET_KEY.test(m[1] as string)) return null;
  const v = (m[2] as string).trim();
  const scheme = /^(Bearer|Basic|Token|Digest)\s+(\S+)$/i.exec(v);
  return scheme ? (scheme[2] as string) : v;
}

export interface SecretSource {
  /** The dotted path of the value (`notify.channels[0].url`). */
  path: string;
  /** True when `${ENV}` substitution produced (part of) the value. */
  fromEnv: boolean;
}

/**
 * Every secret string in a parsed config tree: values at secret-named keys (token, password,
 * Authorization, webhook_url, ...), the credential parts of every URL, the value after a secret
 * header or flag (`-H "Authorization: Bearer X"`, `--password X`, `--token=X`) in argv arrays,
 * and every value that came from `${ENV}` (`envValues`) outside identity paths.
 */
export function collectSecrets(tree: unknown, envValues: Map<string, string[]> = new Map()): Set<string> {
  const out = new Set<string>();
  const add = (v: string | null | undefined) => {
    if (v && v.length >= MIN_SECRET_LENGTH) out.add(v);
  };
  for (const [path, values] of envValues) if (!PUBLIC_PATH.test(path)) for (const v of values) add(v);
  const visit = (value: unknown, key: string, depth: number): void => {
    if (depth > 64) return;
    if (typeof value === "string") {
      for (const p of secretPartsOfUrl(value)) add(p);
      if (key && SECRET_KEY.test(key)) {
        if (!urlSecrets(value)) {
          const scheme = /^(Bearer|Basic|Token|Digest)\s+(\S+)$/i.exec(value.trim());
          add(scheme ? scheme[2] : value);
          add(value);
        }
      }
      add(secretOfAssignment(value));
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        visit(v, key, depth + 1);
        // argv: ["--password", "X"] and ["-u", "user:X"] style pairs
        const prev = i > 0 ? value[i - 1] : undefined;
        if (typeof v === "string" && typeof prev === "string") {
          const flag = /^-{1,2}([A-Za-z][\w-]*)$/.exec(prev);
          if (flag && SECRET_KEY.test(flag[1] as string)) add(v);
          if (flag && /^(u|user)$/.test(flag[1] as string) && v.includes(":")) add(v.slice(v.indexOf(":") + 1));
        }
      });
      return;
    }
    if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        // a secret-named key holding a mapping (`credentials: {user, pass}`): every string in it
        if (SECRET_KEY.test(k) && v !== null && typeof v === "object") visitAll(v, depth + 1);
        else visit(v, k, depth + 1);
      }
    }
  };
  const visitAll = (value: unknown, depth: number): void => {
    if (depth > 64) return;
    if (typeof value === "string") add(value);
    else if (value !== null && typeof value === "object") for (const v of Object.values(value)) visitAll(v, depth + 1);
  };
  visit(tree, "", 0);
  return out;
}

/**
 * The secrets of every config this process has loaded (the running one and any earlier one
 * reloaded away). Everything the agent prints or serves passes through `scrub`.
 */
class SecretRegistry {
  private readonly values = new Set<string>();
  private pattern: RegExp | null = null;

  add(values: Iterable<string>): void {
    let changed = false;
    for (const v of values) {
      if (v.length < MIN_SECRET_LENGTH || this.values.has(v)) continue;
      this.values.add(v);
      // the same secret as it appears inside JSON text (quotes and backslashes escaped)
      const json = JSON.stringify(v).slice(1, -1);
      if (json !== v) this.values.add(json);
      changed = true;
    }
    if (!changed) return;
    // longest first, so a secret that contains another is replaced whole
    const sorted = [...this.values].sort((a, b) => b.length - a.length);
    this.pattern = new RegExp(sorted.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
  }

  get size(): number {
    return this.values.size;
  }

  has(value: string): boolean {
    return this.values.has(value);
  }

  /** `text` with every known secret replaced by <redacted>. */
  scrub(text: string): string {
    if (!this.pattern || text.length < MIN_SECRET_LENGTH) return text;
    this.pattern.lastIndex = 0;
    return this.pattern.test(text) ? text.replace(this.pattern, REDACTED) : text;
  }
}

export const secrets = new SecretRegistry();

/** `text` with every secret of every loaded config replaced by <redacted>. */
export function scrub(text: string): string {
  return secrets.scrub(text);
}

/** A copy of `value` with secrets replaced in every string (depth-bounded: deeper parts become a scrubbed string). */
export function scrubDeep<T>(value: T, depth = 0): T {
  if (secrets.size === 0) return value;
  if (typeof value === "string") return scrub(value) as T;
  if (value === null || typeof value !== "object") return value;
  if (depth > 32) {
    try {
      return scrub(JSON.stringify(value)) as T;
    } catch {
      return "[too deep]" as T;
    }
  }
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1)) as T;
  if (value instanceof Error) return scrub(value.message) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, depth + 1);
  return out as T;
}
