// Formatting helpers shared by the pages: relative times, durations, byte sizes, timestamps.

/** "12 s ago", "3 min ago", "2 h 5 min ago", "4 d ago". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** A span of seconds: "3 d 4 h", "2 h 5 min", "7 min". */
export function duration(s: number): string {
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  return d ? `${d} d ${hh} h` : hh ? `${hh} h ${mm} min` : `${mm} min`;
}

/** Binary units: "512 B", "1.5 KiB", "3.2 GiB". */
export function bytes(n: number): string {
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}

/** Milliseconds since the epoch of an ISO time string; NaN for anything else. */
export const parseTime = (v: unknown): number => (typeof v === "string" ? Date.parse(v) : Number.NaN);

const pad2 = (n: number) => String(n).padStart(2, "0");

/** The pages' one timestamp format: local "2026-02-08 14:23:45" (sortable, the same in every browser locale). */
export function stampText(t: number): string {
  const d = new Date(t);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}
