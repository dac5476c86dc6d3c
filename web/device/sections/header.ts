// The header: device id and its status pill.
import { $, type Obj } from "../../shared/dom.ts";

const STATUS_TONE: Record<string, string> = {
  capturing: "ok",
  creating_video: "info",
  backing_up: "info",
  uploading: "info",
  idle: "ok",
  waiting: "ok",
  error: "bad",
};

export function renderHeader(d: Obj): void {
  const id = typeof d.device_id === "string" ? d.device_id : "Device";
  $("device-id").textContent = id;
  document.title = `${id} · edgewatch`;
  const st = typeof d.status === "string" ? d.status : "unknown";
  const pill = $("device-status");
  pill.textContent = st.replace(/_/g, " ");
  pill.dataset.tone = STATUS_TONE[st] ?? "unknown";
}
