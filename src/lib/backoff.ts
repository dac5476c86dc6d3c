/** Retry delays, one implementation: jitter around a delay, and exponential backoff honouring Retry-After. */

/** `ms` ± `jitter` (a fraction): "5m,15m,1h" style lists are parsed by the CLI, this spreads each wait. */
export function withJitter(ms: number, jitter: number, rand = Math.random): number {
  if (ms <= 0 || jitter <= 0) return ms;
  return Math.max(0, Math.round(ms * (1 - jitter + 2 * jitter * rand())));
}

/**
 * Delay before retry number `failures` (1-based): exponential from `initialMs` up to `maxMs` with ±20 %
 * jitter, or the server's Retry-After (capped at six times `maxMs`) plus a little jitter.
 */
export function backoffDelay(
  failures: number,
  initialMs: number,
  maxMs: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, maxMs * 6) + Math.floor(random() * 250);
  return withJitter(Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 30)), 0.2, random);
}
