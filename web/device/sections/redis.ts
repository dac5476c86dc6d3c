// Redis: up or down, ping, memory.
import { $, h, kv, numOf, setEmpty } from "../../shared/dom.ts";
import { bytes } from "../../shared/format.ts";
import { state } from "../state.ts";

export function renderRedis(): void {
  const r = state.collectors.get("redis");
  setEmpty("redis-kv", !r);
  if (!r) return;
  const d = r.data;
  const up = r.ok && d.up !== false && d.connected !== false;
  const lat = numOf(d.ping_seconds) ?? numOf(d.ping_latency_seconds);
  const mem = numOf(d.used_memory_bytes);
  const maxMem = numOf(d.maxmemory_bytes);
  const err = typeof d.error === "string" ? d.error : r.error;
  kv($("redis-kv"), [
    ["Status", h("span", { class: "pill", "data-tone": up ? "ok" : "bad" }, up ? "connected" : "down")],
    ["Target", typeof d.target === "string" ? d.target : undefined],
    ["Ping", lat === undefined ? undefined : `${(lat * 1000).toFixed(1)} ms`],
    ["Memory", mem === undefined ? undefined : `${bytes(mem)}${maxMem ? ` of ${bytes(maxMem)}` : ""}`],
    ["Error", up ? undefined : err],
  ]);
}
