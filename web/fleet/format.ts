// Small formatting helpers: times, sizes, ratios, for values the API may leave null. The wording
// of times and sizes is the device page's (web/shared/format.ts).
import { ago as since, bytes as size } from "../shared/format.ts";

export function ago(iso: string | number | null | undefined, now = Date.now()): string {
  if (iso === null || iso === undefined) return "never";
  const t = typeof iso === "number" ? iso : Date.parse(iso);
  if (!Number.isFinite(t)) return "unknown";
  return t > now ? "just now" : since(now - t);
}

export function clock(t: string | number | null | undefined): string {
  if (t === null || t === undefined) return "—";
  const d = new Date(typeof t === "number" ? t : Date.parse(t));
  if (Number.isNaN(d.getTime())) return "—";
  const today = new Date().toDateString() === d.toDateString();
  return today
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })
    : d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

export function bytes(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? "—" : size(n);
}

export function pct(r: number | null | undefined): string {
  return r === null || r === undefined || !Number.isFinite(r) ? "—" : `${Math.round(r * 100)} %`;
}

export function temp(c: number | null | undefined): string {
  return c === null || c === undefined || !Number.isFinite(c) ? "—" : `${Math.round(c)} °C`;
}

/** "capturing", "creating_video" → "capturing", "creating video". */
export function words(s: string | null | undefined): string {
  return s ? s.replace(/_/g, " ") : "unknown";
}

export function untilText(ms: number, now = Date.now()): string {
  const s = Math.round((ms - now) / 1000);
  if (s <= 0) return "ended";
  if (s < 3600) return `${Math.ceil(s / 60)} min left`;
  if (s < 86400) return `${Math.round(s / 3600)} h left`;
  return `${Math.round(s / 86400)} d left`;
}
