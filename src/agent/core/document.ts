import type { JsonObject } from "../../protocol/json.ts";
import { lastData } from "../collectors/types.ts";
import type { DeviceState } from "../state.ts";
import { type AgentRuntime, pruneErrors } from "./runtime.ts";

/**
 * The device document every module sees as state.document: device_id and site first, the merged
 * fragments (the single-status-file format), the recent errors, the sources' heartbeats, and the agent's own block
 * (quiet mode shows here: agent.quiet / agent.sampling).
 */
export function buildDocument(rt: AgentRuntime): JsonObject {
  pruneErrors(rt);
  const merged = rt.reader.document();
  const quiet = merged.status === "creating_video";
  // one copy of the merged document (it may hold thousands of keys), then the agent's own keys last
  const doc: JsonObject = Object.assign({ device_id: rt.config.device.id, site: rt.config.device.site }, merged);
  delete doc.sources;
  return Object.assign(doc, {
    errors: rt.errors.map((e) => ({ ...e })),
    sources: merged.sources ?? {},
    agent: {
      version: rt.version,
      started_at: new Date(rt.state.startedAt).toISOString(),
      quiet,
      sampling: quiet ? "paused" : "active",
      warnings: rt.warningsTotal,
    },
  });
}

/** The timelapse scripts' agent-owned system fields, from the collectors' latest results (null: no data). */
export function liveFields(state: DeviceState): JsonObject {
  const disk = lastData(state, "system")?.disks[0];
  const ratio = disk?.usage_ratio ?? null;
  return {
    disk_percent: ratio === null ? null : Math.round(ratio * 1000) / 10,
    disk_free_bytes: disk?.free_bytes ?? null,
    cpu_temperature_celsius: lastData(state, "thermal")?.cpu_temperature_celsius ?? null,
  };
}
