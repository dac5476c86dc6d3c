/**
 * Local time of day, one implementation for the agent and the hub: "HH:MM" times, daily windows
 * ("HH:MM-HH:MM", wrapping past midnight), the next local occurrence of a time, local dates.
 */

/** "07:15" / "07:15:00" → seconds after local midnight; null when malformed. */
export function parseTimeOfDay(v: unknown): number | null {
  if (typeof v !== "string") return null;
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(v.trim());
  if (!m) return null;
  const [h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (h > 23 || mi > 59 || s > 59) return null;
  return h * 3600 + mi * 60 + s;
}

export function localDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

function localMidnight(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/**
 * Where `now` is relative to the daily window [start, end) in local time. A window may cross
 * midnight (start > end). Returns whether we are inside and when the current window opened (ms).
 */
export function windowState(
  now: number,
  startSec: number,
  endSec: number,
): { inside: boolean; openedAt: number | null } {
  const midnight = localMidnight(now);
  const t = (now - midnight) / 1000;
  if (startSec === endSec) return { inside: false, openedAt: null };
  if (startSec < endSec) {
    const inside = t >= startSec && t < endSec;
    return { inside, openedAt: inside ? midnight + startSec * 1000 : null };
  }
  if (t >= startSec) return { inside: true, openedAt: midnight + startSec * 1000 };
  if (t < endSec) {
    const y = new Date(midnight);
    y.setDate(y.getDate() - 1); // DST-safe "yesterday at start"
    return { inside: true, openedAt: y.getTime() + startSec * 1000 };
  }
  return { inside: false, openedAt: null };
}

/** Next local occurrence of "HH:MM" strictly after `now`. */
export function nextLocalTime(now: number, hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number) as [number, number];
  const d = new Date(now);
  d.setHours(h, m, 0, 0);
  if (d.getTime() <= now) d.setDate(d.getDate() + 1);
  return d.getTime();
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number) as [number, number];
  return h * 60 + m;
}

/** Is local time `now` inside "HH:MM-HH:MM" (wrapping past midnight when end < start)? */
export function inDailyWindow(now: number, window: string): boolean {
  const [a, b] = window.split("-") as [string, string];
  const d = new Date(now);
  const m = d.getHours() * 60 + d.getMinutes();
  const s = minutesOf(a);
  const e = minutesOf(b);
  return s <= e ? m >= s && m < e : m >= s || m < e;
}

/** The next local time either edge of the window is reached. */
export function nextDailyEdge(now: number, window: string): number {
  return Math.min(...window.split("-").map((edge) => nextLocalTime(now, edge)));
}
