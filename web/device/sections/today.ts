// Today's capture: photos taken against expected, the last capture and its thumbnail.
import type { ScheduleData } from "../../shared/api.ts";
import { $, fileName, isObj, kv, numOf, type Obj, stamp } from "../../shared/dom.ts";
import { ago, parseTime } from "../../shared/format.ts";

let photoKey = "";
export function renderToday(d: Obj, sched: ScheduleData | undefined, photos: boolean, skewMs: number): void {
  const today = isObj(d.today) ? d.today : {};
  const captured = numOf(today.photos_captured) ?? sched?.photos_captured_today ?? undefined;
  const expected = numOf(today.expected_photos) ?? sched?.photos_expected_today ?? undefined;
  $("captured").textContent = captured === undefined ? "—" : String(captured);
  $("expected").textContent = expected === undefined ? "?" : String(expected);
  const meter = $<HTMLMeterElement>("capture-meter");
  meter.max = expected && expected > 0 ? expected : Math.max(1, captured ?? 0);
  meter.value = captured ?? 0;
  meter.textContent = expected ? `${Math.round(((captured ?? 0) / expected) * 100)}%` : "";
  const last = isObj(d.last_capture) ? d.last_capture : {};
  const window =
    typeof today.start_time === "string" && typeof today.end_time === "string"
      ? `${today.start_time}–${today.end_time}`
      : undefined;
  const interval = numOf(today.interval_seconds);
  kv($("today-kv"), [
    ["Date", typeof today.date === "string" ? today.date : undefined],
    ["Capture window", window],
    ["Interval", interval === undefined ? undefined : `${interval} s`],
    ["Last capture", last.success === false ? "failed" : last.success === true ? "ok" : undefined],
    ["Capture took", numOf(last.duration_ms) === undefined ? undefined : `${last.duration_ms} ms`],
    ["File", typeof last.filename === "string" ? fileName(last.filename) : undefined],
  ]);
  // Reload the thumbnail only when a new photo was taken.
  const key = `${last.time ?? ""}|${last.filename ?? ""}`;
  if (photos && key !== photoKey && (last.time || last.filename)) {
    photoKey = key;
    const img = $<HTMLImageElement>("photo");
    img.src = `/latest/photo?v=${encodeURIComponent(key)}`;
    img.alt = `Latest capture${typeof last.filename === "string" ? `: ${last.filename}` : ""}`;
  }
  renderAges(d, skewMs);
}

/** "Last photo 2 min ago": redrawn every second. */
export function renderAges(doc: Obj, skewMs: number): void {
  const last = isObj(doc.last_capture) ? doc.last_capture : {};
  const t = parseTime(last.time);
  const cap = $("photo-caption");
  if (Number.isNaN(t)) cap.textContent = "Last photo: —";
  else cap.replaceChildren(`Last photo ${ago(Date.now() - skewMs - t)} (`, stamp(t), ")");
}
