// System information: host, uptime, temperature, load, free disk, agent version.
import type { SystemData } from "../../shared/api.ts";
import { $, isObj, kv, numOf, type Obj, stamp } from "../../shared/dom.ts";
import { bytes, duration } from "../../shared/format.ts";

export function renderSystem(d: Obj, sys: SystemData | undefined, temp: number | undefined): void {
  // /status (read while polling) has the agent's uptime_seconds and disk_free_bytes too.
  const uptime = sys?.uptime_seconds ?? numOf(d.uptime_seconds);
  const free = numOf(d.disk_free_bytes) ?? sys?.disks[0]?.free_bytes ?? undefined;
  kv($("system-kv"), [
    ["Device", typeof d.device_id === "string" ? d.device_id : undefined],
    ["Hostname", typeof d.hostname === "string" ? d.hostname : undefined],
    ["Uptime", uptime === undefined ? undefined : duration(uptime)],
    ["Temperature", temp === undefined ? undefined : `${temp.toFixed(1)} °C`],
    ["Load", sys?.load1 == null ? undefined : `${sys.load1} / ${sys.load5} / ${sys.load15}`],
    ["Disk free", free === undefined ? undefined : bytes(free)],
    [
      "Agent",
      isObj(d.agent) && typeof d.agent.version === "string"
        ? `edgewatch ${d.agent.version}${d.agent.quiet ? " (sampling paused while encoding)" : ""}`
        : undefined,
    ],
    ["Last update", typeof d.updated_at === "string" ? stamp(d.updated_at) : undefined],
  ]);
}
