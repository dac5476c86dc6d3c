import type { MetricFamily } from "../../module.ts";
import { type CompatSet, finite, firstDisk, obj, one, round } from "./types.ts";

/** The recorder's own states; a state the program reports outside this list is added to it. */
const STATES = ["booting", "ready", "recording", "processing", "error"];
/** When the program writes no `state`, the device status says which recorder state it is in. */
const FROM_STATUS: Record<string, string> = {
  idle: "ready",
  waiting: "ready",
  capturing: "recording",
  creating_video: "processing",
  backing_up: "processing",
  uploading: "processing",
  error: "error",
};
const VIDEO_STATUSES = ["pending", "completed", "failed", "corrupted"];

/**
 * The recorder_* names of a video recorder's metrics exporter, computed from the compat source's
 * fragment (its heartbeat, `state`, `recording_active`, `upload_queue_size`, `uptime_seconds`,
 * `videos`, `upload_success_rate`) and the agent's disk figures.
 */
export const recorderCompat: CompatSet = {
  name: "recorder",
  families(i): MetricFamily[] {
    const m = i.config.metrics;
    const frag = i.fragments.find((f) => f.source === m.compat_source);
    const age = frag ? Math.max(0, i.now - frag.mtimeMs) : null;
    const out: MetricFamily[] = [
      ...one(
        "recorder_up",
        "Whether recorder service is responding",
        age !== null && age < m.compat_heartbeat_timeout ? 1 : 0,
      ),
      ...one("recorder_heartbeat_age_seconds", "Age of last heartbeat", age === null ? null : round(age / 1000, 1)),
    ];
    if (frag) {
      const d = frag.data;
      const status = typeof d.status === "string" ? d.status : i.state.status;
      const state = typeof d.state === "string" && d.state ? d.state : (FROM_STATUS[status] ?? "ready");
      const states = STATES.includes(state) ? STATES : [...STATES, state];
      out.push({
        name: "recorder_state",
        help: "1 for the recorder's current state, 0 for the others",
        type: "gauge",
        samples: states.map((s) => ({ labels: { state: s }, value: s === state ? 1 : 0 })),
      });
      const active = typeof d.recording_active === "boolean" ? d.recording_active : state === "recording";
      out.push(...one("recorder_recording_active", "Whether currently recording", active ? 1 : 0));
      out.push(...one("recorder_upload_queue_size", "Upload queue depth", finite(d.upload_queue_size)));
      out.push(...one("recorder_uptime_seconds", "Service uptime", finite(d.uptime_seconds)));
      const videos = obj(d.videos);
      const counted = VIDEO_STATUSES.filter((s) => finite(videos[s]) !== null);
      if (counted.length) {
        out.push({
          name: "recorder_videos_total",
          help: "Total videos by status",
          type: "gauge",
          samples: counted.map((s) => ({ labels: { status: s }, value: videos[s] as number })),
        });
      }
      const done = finite(videos.completed);
      const failed = finite(videos.failed);
      const rate =
        finite(d.upload_success_rate) ??
        (done !== null && failed !== null ? (done + failed > 0 ? round(done / (done + failed)) : 1) : null);
      out.push(...one("recorder_upload_success_rate", "Upload success rate (0-1)", rate));
    }
    const disk = firstDisk(i);
    out.push(...one("recorder_disk_free_bytes", "Free disk space", finite(disk.free_bytes)));
    out.push(...one("recorder_disk_usage_ratio", "Disk usage ratio (0-1)", finite(disk.usage_ratio)));
    return out;
  },
};
