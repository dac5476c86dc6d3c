// Redis: up or down, ping, memory.

import type { CollectorResultFrame, RedisData } from "../../shared/api.ts";
import { $, h, kv, setEmpty } from "../../shared/dom.ts";
import { bytes } from "../../shared/format.ts";

/** `r`: the redis collector's last result (undefined: not configured); `d`: its data when the run succeeded. */
export function renderRedis(r: CollectorResultFrame | undefined, d: RedisData | undefined): void {
  setEmpty("redis-kv", !r);
  if (!r) return;
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
