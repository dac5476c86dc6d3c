import { promises as fsp } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { duration } from "../../config/kit.ts";
import type { MetricFamily } from "../../lib/metrics.ts";
import type { JsonObject } from "../../protocol/json.ts";
import type { DiskUsage, Reachability, SystemData } from "./data.ts";
import { readText } from "./read.ts";
import { type Collector, defineCollector, enabled, essential, gauge, interval, num } from "./types.ts";

export type { DiskUsage, Reachability, SystemData };

/** Gap between the two /proc/stat reads of the first run. */
export const FIRST_DELTA_MS = 250;

interface CpuTimes {
  busy: number;
  total: number;
}

/** The aggregate "cpu" line of /proc/stat: busy and total jiffies (guest time is already in user). */
export function parseProcStat(text: string): CpuTimes | null {
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) return null;
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (f.length < 4 || f.some((n) => !Number.isFinite(n))) return null;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait, total };
}

/** MemTotal/MemAvailable/SwapTotal/SwapFree from /proc/meminfo, in bytes. */
export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?$/.exec(line.trim());
    if (m) out[m[1] as string] = Number(m[2]) * (line.includes("kB") ? 1024 : 1);
  }
  return out;
}

export function parseLoadavg(text: string): [number, number, number] | null {
  const f = text.trim().split(/\s+/).slice(0, 3).map(Number);
  if (f.length !== 3 || f.some((n) => !Number.isFinite(n))) return null;
  return f as [number, number, number];
}

export function parseUptime(text: string): number | null {
  const n = Number(text.trim().split(/\s+/)[0]);
  return Number.isFinite(n) ? n : null;
}

const round = (n: number, digits = 4) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Free and used space of one mount, as `df` computes it (reserved blocks are not free to users). */
export async function diskUsage(mount: string): Promise<DiskUsage> {
  try {
    const s = await fsp.statfs(mount);
    const used = (s.blocks - s.bfree) * s.bsize;
    const avail = s.bavail * s.bsize;
    return {
      mount,
      total_bytes: s.blocks * s.bsize,
      free_bytes: avail,
      usage_ratio: used + avail > 0 ? round(used / (used + avail)) : null,
    };
  } catch (err) {
    return { mount, total_bytes: null, free_bytes: null, usage_ratio: null, error: (err as Error).message };
  }
}

/** TCP connect to host:port; reachable or not, with the connect latency. Never throws. */
export function tcpReachable(
  host: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Reachability> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const sock = connect({ host, port });
    let done = false;
    const finish = (reachable: boolean, error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      sock.destroy();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({
        host,
        port,
        reachable,
        latency_seconds: reachable ? round(ms / 1000, 6) : null,
        ...(error ? { error } : {}),
      });
    };
    const onAbort = () => finish(false, "aborted");
    const timer = setTimeout(() => finish(false, `no TCP connection within ${timeoutMs} ms`), timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    sock.once("connect", () => finish(true));
    sock.once("error", (err) => finish(false, err.message));
  });
}

const schema = () =>
  z
    .strictObject({
      enabled: enabled("system (CPU, load, memory, disk, uptime, reachability)"),
      interval: interval("30s", "system"),
      essential: essential(false),
      mounts: z
        .array(z.string().min(1))
        .default(["/"])
        .describe('Mount points whose free space is reported (fs.statfs), e.g. ["/", "/mnt/photos"]'),
      reachability: z
        .strictObject({
          host: z
            .string()
            .min(1)
            .optional()
            .describe("Host (name or address) to test with a TCP connect, e.g. your NAS or 1.1.1.1; unset: no check"),
          port: z.number().int().min(1).max(65535).default(443).describe("TCP port of the reachability check"),
          timeout: duration()
            .prefault("3s")
            .describe("Give up the TCP connect after this long (at most half of collectors.timeout)"),
        })
        .prefault({})
        .describe("Reachability of one host over TCP (no external commands)"),
    })
    .prefault({})
    .describe("CPU usage (/proc/stat deltas), load, memory (/proc/meminfo), disk per mount, uptime, reachability");

export type SystemConfig = z.output<ReturnType<typeof schema>>;

export const systemCollector = defineCollector("system", schema, (c, config): Collector<SystemData> | null => {
  if (!c.enabled) return null;
  let prev: CpuTimes | null = null;
  // An unreachable host must not make the whole run time out and lose CPU/memory/disk with it.
  const reachTimeout = Math.min(c.reachability.timeout, Math.min(config.collectors.timeout, c.interval) / 2);
  return {
    name: "system",
    essential: c.essential,
    intervalMs: c.interval,
    async collect(ctx): Promise<SystemData> {
      const proc = (f: string) => readText(join(ctx.procRoot, f), ctx.signal);
      const [stat, meminfo, loadavg, uptime] = await Promise.all([
        proc("stat"),
        proc("meminfo"),
        proc("loadavg"),
        proc("uptime"),
      ]);
      let cpu = stat === null ? null : parseProcStat(stat);
      if (cpu && !prev) {
        // First run: no previous sample. Take a second one shortly after, so CPU usage is known from
        // the start instead of one interval later (one extra wake-up, once).
        prev = cpu;
        await sleep(FIRST_DELTA_MS, undefined, { signal: ctx.signal });
        const again = await proc("stat");
        cpu = again === null ? null : parseProcStat(again);
      }
      let cpuUsage: number | null = null;
      if (cpu && prev && cpu.total > prev.total) cpuUsage = round((cpu.busy - prev.busy) / (cpu.total - prev.total));
      if (cpu) prev = cpu;
      const mem = meminfo === null ? {} : parseMeminfo(meminfo);
      const memTotal = mem.MemTotal ?? null;
      const memAvail = mem.MemAvailable ?? null;
      const load = loadavg === null ? null : parseLoadavg(loadavg);
      const disks = await Promise.all(c.mounts.map(diskUsage));
      const reach = c.reachability.host
        ? await tcpReachable(c.reachability.host, c.reachability.port, reachTimeout, ctx.signal)
        : null;
      return {
        cpu_usage_ratio: cpuUsage,
        load1: load?.[0] ?? null,
        load5: load?.[1] ?? null,
        load15: load?.[2] ?? null,
        memory_total_bytes: memTotal,
        memory_available_bytes: memAvail,
        memory_usage_ratio: memTotal && memAvail !== null ? round(1 - memAvail / memTotal) : null,
        swap_total_bytes: mem.SwapTotal ?? null,
        swap_free_bytes: mem.SwapFree ?? null,
        uptime_seconds: uptime === null ? null : parseUptime(uptime),
        disks,
        reachability: reach,
      };
    },
    metrics(d) {
      const out: MetricFamily[] = [
        ...gauge("edgewatch_cpu_usage_ratio", "CPU busy share since the previous sample (0–1)", d.cpu_usage_ratio),
        ...gauge("edgewatch_load1", "1-minute load average", d.load1),
        ...gauge("edgewatch_load5", "5-minute load average", d.load5),
        ...gauge("edgewatch_load15", "15-minute load average", d.load15),
        ...gauge("edgewatch_memory_usage_ratio", "Memory in use: 1 − MemAvailable/MemTotal", d.memory_usage_ratio),
        ...gauge("edgewatch_memory_available_bytes", "MemAvailable from /proc/meminfo", d.memory_available_bytes),
        ...gauge("edgewatch_uptime_seconds", "Seconds since the device booted", d.uptime_seconds),
      ];
      const disks = (Array.isArray(d.disks) ? d.disks : []) as JsonObject[];
      const disk = (name: string, help: string, key: string) => {
        const samples = disks
          .filter((x) => num(x[key]) !== undefined)
          .map((x) => ({ labels: { mount: String(x.mount) }, value: x[key] as number }));
        if (samples.length) out.push({ name, help, type: "gauge", samples });
      };
      disk("edgewatch_disk_free_bytes", "Bytes available to unprivileged users on the mount", "free_bytes");
      disk("edgewatch_disk_usage_ratio", "Used share of the mount, as df computes it (0–1)", "usage_ratio");
      disk("edgewatch_disk_size_bytes", "Size of the mount's filesystem", "total_bytes");
      const r = d.reachability as JsonObject | null;
      if (r) {
        const labels = { host: String(r.host), port: String(r.port) };
        out.push({
          name: "edgewatch_host_reachable",
          help: "1 when a TCP connection to the configured host succeeded",
          type: "gauge",
          samples: [{ labels, value: r.reachable ? 1 : 0 }],
        });
        if (typeof r.latency_seconds === "number")
          out.push({
            name: "edgewatch_host_connect_seconds",
            help: "TCP connect time to the configured host",
            type: "gauge",
            samples: [{ labels, value: r.latency_seconds }],
          });
      }
      return out;
    },
  };
});
