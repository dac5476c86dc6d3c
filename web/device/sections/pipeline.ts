// The pipeline: capturing → creating video → backing up → uploading, and the last video.
import { $, fileName, h, isObj, kv, numOf, type Obj } from "../../shared/dom.ts";

const STAGES = ["capturing", "creating_video", "backing_up", "uploading"];

export function renderPipeline(doc: Obj): void {
  const st = typeof doc.status === "string" ? doc.status : "unknown";
  const idx = STAGES.indexOf(st);
  const list = $("pipeline");
  list.classList.toggle("error", st === "error");
  for (const li of list.querySelectorAll<HTMLElement>("li")) {
    const i = STAGES.indexOf(li.dataset.stage ?? "");
    if (i === idx) li.setAttribute("aria-current", "step");
    else li.removeAttribute("aria-current");
    if (idx >= 0 && i < idx) li.dataset.done = "";
    else delete li.dataset.done;
  }
  const notes: Record<string, string> = {
    idle: "Idle: outside capture hours, nothing running.",
    waiting: "Waiting for the capture window to open.",
    error: "Error: see alerts and logs.",
    unknown: "No status reported yet.",
  };
  $("pipeline-note").textContent = idx >= 0 ? `Now: ${STAGES[idx]?.replace(/_/g, " ")}` : (notes[st] ?? st);
  const v = isObj(doc.last_video) ? doc.last_video : {};
  const url = typeof v.youtube_url === "string" && /^https:\/\//.test(v.youtube_url) ? v.youtube_url : undefined;
  kv($("video-kv"), [
    ["Last video", typeof v.filename === "string" ? fileName(v.filename) : undefined],
    ["Video date", typeof v.date === "string" ? v.date : undefined],
    ["Length", numOf(v.duration_seconds) === undefined ? undefined : `${v.duration_seconds} s`],
    ["Photos used", numOf(v.photos_used) === undefined ? undefined : String(v.photos_used)],
    ["Backed up", typeof v.backed_up === "boolean" ? (v.backed_up ? "yes" : "no") : undefined],
    ["Uploaded", url ? h("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, url) : undefined],
  ]);
}
