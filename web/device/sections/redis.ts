// Redis: up or down, ping, memory.
import { $, h, kv, setEmpty } from "../../shared/dom.ts";
import { bytes } from "../../shared/format.ts";
import { dataOf, state } from "../state.ts";

export function renderRedis(): void {
  const r = state.collectors.get("redis");
  setEmpty("redis-kv", !r);
  if (!r) return;
  const d = dataOf("redis");
  const up = d?.up === true;
  const lat = d?.ping_seconds ?? undefined;
  const mem = d?.used_memory_bytes ?? undefined;
  const maxMem = d?.maxmemory_bytes;
  const err = d?.error ?? r.error;
  kv($("redis-kv"), [
    ["Status", h("span", { class: "pill", "data-tone": up ? "ok" : "bad" }, up ? "connected" : "down")],
    ["Target", d?.target],
    ["Ping", lat === undefined ? undefined : `${(lat * 1000).toFixed(1)} ms`],
    ["Memory", mem === undefined ? undefined : `${bytes(mem)}${maxMem ? ` of ${bytes(maxMem)}` : ""}`],
    ["Error", up ? undefined : (err ?? undefined)],
  ]);
}
