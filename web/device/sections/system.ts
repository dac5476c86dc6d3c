// System information: host, uptime, temperature, load, free disk, agent version.
import { $, isObj, kv, numOf, stamp } from "../../shared/dom.ts";
import { bytes, duration } from "../../shared/format.ts";
import { metric, state } from "../state.ts";

export function renderSystem(): void {
  const d = state.doc;
  const sys = state.collectors.get("system")?.data ?? {};
  const uptime = numOf(sys.uptime_seconds) ?? numOf(d.uptime_seconds);
  const temp = metric.temp();
  const free =
    numOf(d.disk_free_bytes) ??
    (Array.isArray(sys.disks) && isObj(sys.disks[0]) ? numOf(sys.disks[0].free_bytes) : undefined);
  kv($("system-kv"), [
    ["Device", typeof d.device_id === "string" ? d.device_id : undefined],
    ["Hostname", typeof d.hostname === "string" ? d.hostname : undefined],
    ["Uptime", uptime === undefined ? undefined : duration(uptime)],
    ["Temperature", temp === undefined ? undefined : `${temp.toFixed(1)} °C`],
    ["Load", numOf(sys.load1) === undefined ? undefined : `${sys.load1} / ${sys.load5} / ${sys.load15}`],
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
