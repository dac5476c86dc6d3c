import type { MetricFamily } from "../../module.ts";
import { type CompatSet, collected, finite, firstDisk, obj, one, round } from "./types.ts";

/** The timelapse_* names a stdlib status server exposes for a timelapse camera, from the same state. */
export const timelapseCompat: CompatSet = {
  name: "timelapse",
  families(i): MetricFamily[] {
    const disk = firstDisk(i);
    const ratio = finite(disk.usage_ratio);
    const today = obj(i.state.document.today);
    return [
      ...one("timelapse_disk_usage_percent", "Disk usage percentage", ratio === null ? null : round(ratio * 100, 2)),
      ...one("timelapse_disk_free_bytes", "Free disk space in bytes", finite(disk.free_bytes)),
      ...one(
        "timelapse_cpu_temperature_celsius",
        "CPU temperature",
        finite(collected(i, "thermal").cpu_temperature_celsius),
      ),
      ...one("timelapse_uptime_seconds", "System uptime", finite(collected(i, "system").uptime_seconds)),
      ...one("timelapse_photos_captured_today", "Photos captured today", finite(today.photos_captured)),
      ...one("timelapse_photos_expected_today", "Expected photos for today", finite(today.expected_photos)),
      ...one("timelapse_errors_current", "Current error count", i.errorsCurrent),
    ];
  },
};
