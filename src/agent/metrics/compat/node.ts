import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DiskUsage, ThermalZone } from "../../collectors/types.ts";
import type { MetricFamily } from "../../module.ts";
import { type CompatInput, type CompatSet, collected, finite, one } from "./types.ts";

/** /proc/stat counts in USER_HZ ticks, 100 per second on every Linux the agent runs on (as node_exporter assumes). */
const USER_HZ = 100;
const CPU_MODES = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"];
const MOUNTS_TTL_MS = 5 * 60_000;

/** Per-CPU seconds in each mode and the boot time, from /proc/stat (read at scrape time, like node_exporter). */
export function parseCpuSeconds(text: string): { cpus: { cpu: string; seconds: number[] }[]; btime: number | null } {
  const cpus: { cpu: string; seconds: number[] }[] = [];
  let btime: number | null = null;
  for (const line of text.split("\n")) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (m) {
      const f = (m[2] as string).trim().split(/\s+/).slice(0, CPU_MODES.length).map(Number);
      if (f.every(Number.isFinite)) cpus.push({ cpu: m[1] as string, seconds: f.map((t) => Math.round(t) / USER_HZ) });
    } else if (line.startsWith("btime ")) {
      const n = Number(line.slice(6).trim());
      if (Number.isFinite(n)) btime = n;
    }
  }
  return { cpus, btime };
}

/** Mount point → {fstype} from /proc/self/mounts (the last mount on a point wins, as the kernel shows it). */
export function parseMounts(text: string): Map<string, { fstype: string }> {
  const out = new Map<string, { fstype: string }>();
  const octal = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
  for (const line of text.split("\n")) {
    const [, mount, fstype] = line.split(" ");
    if (mount && fstype) out.set(octal(mount), { fstype });
  }
  return out;
}

function readOr(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

let mountsCache: { at: number; root: string; map: Map<string, { fstype: string }> } | null = null;

function mounts(procRoot: string, now: number) {
  if (!mountsCache || mountsCache.root !== procRoot || now - mountsCache.at > MOUNTS_TTL_MS) {
    const text = readOr(join(procRoot, "self", "mounts")) ?? readOr(join(procRoot, "mounts")) ?? "";
    mountsCache = { at: now, root: procRoot, map: parseMounts(text) };
  }
  return mountsCache.map;
}

function temperatures(i: CompatInput): MetricFamily[] {
  const zones = collected(i, "thermal").zones ?? [];
  const hot = zones.filter((z) => finite(z.celsius) !== null && /^thermal_zone\d+$/.test(z.zone));
  if (hot.length === 0) return [];
  const n = (z: ThermalZone) => z.zone.slice("thermal_zone".length);
  // node_exporter names a thermal zone's hwmon chip after its device path: thermal_thermal_zone<N>, sensor temp1.
  return [
    {
      name: "node_hwmon_temp_celsius",
      help: "Hardware monitor for temperature (input)",
      type: "gauge",
      samples: hot.map((z) => ({
        labels: { chip: `thermal_thermal_zone${n(z)}`, sensor: "temp1" },
        value: z.celsius as number,
      })),
    },
    {
      name: "node_hwmon_chip_names",
      help: "Annotation metric for human-readable chip names",
      type: "gauge",
      samples: hot.map((z) => ({
        labels: { chip: `thermal_thermal_zone${n(z)}`, chip_name: String(z.type ?? "").replace(/-/g, "_") },
        value: 1,
      })),
    },
    {
      name: "node_thermal_zone_temp",
      help: "Zone temperature in Celsius",
      type: "gauge",
      samples: hot.map((z) => ({ labels: { type: String(z.type ?? ""), zone: n(z) }, value: z.celsius as number })),
    },
  ];
}

/** node_exporter's names and labels for what the agent already measures, so dashboards built on them keep working. */
export const nodeCompat: CompatSet = {
  name: "node",
  families(i): MetricFamily[] {
    const sys = collected(i, "system");
    const out: MetricFamily[] = [...temperatures(i)];
    const procRoot = i.config.collectors.proc_root;
    const stat = readOr(join(procRoot, "stat"));
    const cpu = stat === null ? { cpus: [], btime: null } : parseCpuSeconds(stat);
    if (cpu.cpus.length) {
      out.push({
        name: "node_cpu_seconds_total",
        help: "Seconds the CPUs spent in each mode.",
        type: "counter",
        samples: cpu.cpus.flatMap((c) =>
          CPU_MODES.map((mode, k) => ({ labels: { cpu: c.cpu, mode }, value: c.seconds[k] ?? 0 })),
        ),
      });
    }
    out.push(
      ...one("node_load1", "1m load average.", finite(sys.load1)),
      ...one("node_load5", "5m load average.", finite(sys.load5)),
      ...one("node_load15", "15m load average.", finite(sys.load15)),
      ...one("node_memory_MemTotal_bytes", "Memory information field MemTotal_bytes.", finite(sys.memory_total_bytes)),
      ...one(
        "node_memory_MemAvailable_bytes",
        "Memory information field MemAvailable_bytes.",
        finite(sys.memory_available_bytes),
      ),
      ...one("node_memory_SwapTotal_bytes", "Memory information field SwapTotal_bytes.", finite(sys.swap_total_bytes)),
      ...one("node_memory_SwapFree_bytes", "Memory information field SwapFree_bytes.", finite(sys.swap_free_bytes)),
      ...one("node_boot_time_seconds", "Node boot time, in unixtime.", cpu.btime),
      ...one("node_time_seconds", "System time in seconds since epoch (1970).", i.now / 1000),
    );
    const disks = sys.disks ?? [];
    if (disks.length) {
      const table = mounts(procRoot, i.now);
      const labels = (d: DiskUsage) => {
        const m = table.get(d.mount);
        // node_exporter also labels the block device as `device`; that label is the edgewatch device name here.
        return { fstype: m?.fstype ?? "", mountpoint: d.mount };
      };
      const fs = (name: string, help: string, key: "free_bytes" | "total_bytes") => {
        const samples = disks.flatMap((d) => {
          const value = finite(d[key]);
          return value === null ? [] : [{ labels: labels(d), value }];
        });
        if (samples.length) out.push({ name, help, type: "gauge", samples });
      };
      fs("node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes.", "free_bytes");
      fs("node_filesystem_size_bytes", "Filesystem size in bytes.", "total_bytes");
    }
    return out;
  },
};
