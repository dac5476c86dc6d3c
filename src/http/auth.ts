import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export type AuthResult =
  | { ok: true }
  | { ok: false; status: 401 | 403 | 429; message: string; retryAfterSeconds?: number };

const FAIL_LIMIT = 5;
const FAIL_WINDOW_MS = 60_000;
const BLOCK_MS = 60_000;
const MAX_TRACKED = 10_000;

/**
 * Bearer-token guard for control routes: disabled (403) until a token is configured, constant-time
 * comparison, and per-client-address rate limiting after repeated bad tokens (429 + Retry-After).
 */
export class ControlGuard {
  private readonly tokenHash: Buffer | null;
  private readonly failures = new Map<string, { count: number; first: number; blockedUntil: number }>();

  constructor(
    token: string | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.tokenHash = token ? sha256(token) : null;
  }

  get enabled(): boolean {
    return this.tokenHash !== null;
  }

  check(req: IncomingMessage): AuthResult {
    if (!this.tokenHash) {
      return { ok: false, status: 403, message: "control is disabled: set http.token in the config to enable it" };
    }
    const addr = req.socket.remoteAddress ?? "unknown";
    const now = this.now();
    const f = this.failures.get(addr);
    if (f && f.blockedUntil > now) {
      return {
        ok: false,
        status: 429,
        message: "too many bad tokens from this address; try again later",
        retryAfterSeconds: Math.ceil((f.blockedUntil - now) / 1000),
      };
    }
    const header = req.headers.authorization ?? "";
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return { ok: false, status: 401, message: "missing bearer token: send Authorization: Bearer <token>" };
    if (timingSafeEqual(sha256(m[1] ?? ""), this.tokenHash)) {
      this.failures.delete(addr);
      return { ok: true };
    }
    this.recordFailure(addr, now);
    return { ok: false, status: 401, message: "wrong bearer token" };
  }

  private recordFailure(addr: string, now: number): void {
    let f = this.failures.get(addr);
    if (!f || now - f.first > FAIL_WINDOW_MS) {
      f = { count: 0, first: now, blockedUntil: 0 };
      this.failures.set(addr, f);
    }
    f.count++;
    if (f.count >= FAIL_LIMIT) f.blockedUntil = now + BLOCK_MS;
    // bounded memory under a scan from many addresses: forget the oldest addresses that are not
    // blocked (a flood from elsewhere must not lift a block, as clearing everything would)
    if (this.failures.size > MAX_TRACKED) {
      for (const [a, e] of this.failures) {
        if (this.failures.size <= MAX_TRACKED * 0.9) break;
        if (e.blockedUntil <= now || this.failures.size > MAX_TRACKED * 2) this.failures.delete(a);
      }
    }
  }
}

function sha256(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}
