import { execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { diskUsage, thermalCollector } from "../../agent/collectors/index.ts";
import type { Config } from "../../agent/config.ts";
import type { WatchConfig } from "../../agent/recovery/config.ts";
import { parseHeartbeatTimestamp, processMatches } from "../../agent/recovery/index.ts";
import type { DeviceState } from "../../agent/state.ts";
import { readDeviceStatus } from "../../index.ts";
import type { JsonObject } from "../../protocol/json.ts";

/**
 * `edgewatch status` with no arguments: the whole device on one screen. Everything is read from the
 * status dir, the state dir and the config, so it works over SSH with the agent stopped; when the
 * agent answers on its HTTP port, its own view replaces the guesses: the watch phases (restarting,
 * refused), the alerts firing now and the recent errors.
 */
export interface DeviceSummary {
  device: { id: string; site: string };
  status: string | null;
  today: { photos_captured: number | null; expected_photos: number | null };
  last_capture: { time: string | null; age_seconds: number | null; filename: string | null };
  agent: { url: string; running: boolean; error?: string };
  watches: { name: string; kind: string; target: string; healthy: boolean | null; detail: string }[];
  sources: { name: string; heartbeat_age_seconds: number }[];
  disks: { mount: string; usage_percent: number | null; free_bytes: number | null; error?: string }[];
  temperature_celsius: number | null;
  alerts: { from: "agent" | "saved state" | "none"; firing: { id: string; severity: string; summary: string }[] };
  errors: { time: string; source: string; message: string }[];
  reboot_guard: { reboots_last_24h: number; limit: number; allowed: boolean; problem: string | null };
}

const obj = (v: unknown): JsonObject => (v && typeof v === "object" && !Array.isArray(v) ? (v as JsonObject) : {});
const numOrNull = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
const strOrNull = (v: unknown) => (typeof v === "string" ? v : null);

async function getJson(url: string, timeoutMs: number): Promise<JsonObject> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return obj(await res.json());
}

async function pidAlive(pid: number): Promise<boolean> {
  const stat = await fsp.readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return stat !== "" && state !== "Z" && state !== "X";
}

/** A watch judged from files and /proc, as the agent would at its next check. */
async function offlineWatch(w: WatchConfig, statusDir: string, now: number) {
  const stale = (t: number, what: string) => {
    const age = Math.max(0, (now - t) / 1000);
    return {
      healthy: age * 1000 <= w.stale_after,
      detail: `${what} ${ago(age)} (stale after ${ago(w.stale_after / 1000).replace(" ago", "")})`,
    };
  };
  if (w.source) {
    const st = await fsp.stat(join(statusDir, "status.d", `${w.source}.json`)).catch(() => null);
    return st ? stale(st.mtimeMs, "heartbeat") : { healthy: false, detail: `no status from ${w.source} yet` };
  }
  if (w.heartbeat_file) {
    const text = await fsp.readFile(w.heartbeat_file, "utf8").catch(() => null);
    if (text === null) return { healthy: false, detail: `${w.heartbeat_file} is missing` };
    let t: number | null = null;
    try {
      t = parseHeartbeatTimestamp(obj(JSON.parse(text)).timestamp);
    } catch {}
    return t === null
      ? { healthy: null, detail: `${w.heartbeat_file} has no readable timestamp` }
      : stale(t, "heartbeat");
  }
  if (w.pidfile) {
    const pid = Number((await fsp.readFile(w.pidfile, "utf8").catch(() => "")).trim());
    if (!(pid > 0)) return { healthy: false, detail: `no process id in ${w.pidfile}` };
    return (await pidAlive(pid))
      ? { healthy: true, detail: `process ${pid} runs` }
      : { healthy: false, detail: `process ${pid} is not running` };
  }
  if (w.process) {
    for (const pid of await fsp.readdir("/proc")) {
      if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
      const comm = await fsp.readFile(`/proc/${pid}/comm`, "utf8").catch(() => "");
      const argv = (await fsp.readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
      if (processMatches(w.process, comm, argv) && (await pidAlive(Number(pid))))
        return { healthy: true, detail: `process ${pid} runs` };
    }
    return { healthy: false, detail: `no process named ${JSON.stringify(w.process)} is running` };
  }
  let state = "unknown";
  try {
    state = execFileSync("systemctl", ["is-active", String(w.unit)], { encoding: "utf8", timeout: 3000 }).trim();
  } catch (err) {
    state = String((err as { stdout?: string }).stdout ?? "").trim() || "unknown (systemctl failed)";
  }
  return { healthy: state === "active", detail: `unit ${w.unit} is ${state}` };
}

/**
 * The reboot guard's state, read without creating anything (the agent's RebootGuard creates its
 * folder): reboots in the last 24 h of <state_dir>/recovery/reboots.json. Unreadable = not allowed,
 * as the agent treats it.
 */
export async function readRebootGuard(path: string, limit: number, now = Date.now()) {
  let text: string;
  try {
    text = await fsp.readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT")
      return { reboots_last_24h: 0, limit, allowed: limit > 0, problem: null };
    return { reboots_last_24h: 0, limit, allowed: false, problem: `cannot read ${path}: ${(err as Error).message}` };
  }
  try {
    const times = obj(JSON.parse(text)).reboots;
    if (!Array.isArray(times)) throw new Error('expected {"reboots": [ISO times]}');
    const n = times.map((t) => Date.parse(String(t))).filter((t) => t > now - 86_400_000).length;
    return { reboots_last_24h: n, limit, allowed: n < limit, problem: null };
  } catch (err) {
    return { reboots_last_24h: 0, limit, allowed: false, problem: `${path} is not valid (${(err as Error).message})` };
  }
}

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function ago(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s ago`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 48 * 3600) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

export async function gatherSummary(config: Config, statusDir: string, now = Date.now()): Promise<DeviceSummary> {
  const doc = await readDeviceStatus({ dir: statusDir, legacyStatusFile: config.legacy_status_file });
  const host = config.http.bind === "0.0.0.0" || config.http.bind === "::" ? "127.0.0.1" : config.http.bind;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${config.http.port}`;
  const [recovery, alerts, status] = await Promise.allSettled([
    getJson(`${url}/api/recovery?lines=1`, 3000),
    getJson(`${url}/api/alerts?limit=0`, 3000),
    getJson(`${url}/status`, 3000),
  ]);
  const running = status.status === "fulfilled";
  const agent: DeviceSummary["agent"] = { url, running };
  if (status.status === "rejected") agent.error = String((status.reason as Error)?.cause ?? status.reason);

  const today = obj(doc.today);
  const last = obj(doc.last_capture);
  const lastTime = strOrNull(last.time);
  const lastMs = lastTime ? Date.parse(lastTime) : Number.NaN;

  const watches: DeviceSummary["watches"] = [];
  const live = recovery.status === "fulfilled" ? (recovery.value.watches as JsonObject[] | undefined) : undefined;
  for (const w of config.recovery.watches) {
    const kind = w.source
      ? "source"
      : w.heartbeat_file
        ? "heartbeat_file"
        : w.pidfile
          ? "pidfile"
          : w.process
            ? "process"
            : "unit";
    const target = String(w.source ?? w.heartbeat_file ?? w.pidfile ?? w.process ?? w.unit);
    const a = live?.find((x) => x.name === w.name);
    if (a) {
      const age = numOrNull(a.heartbeat_age_ms);
      const detail = a.reason ? String(a.reason) : `${a.phase}${age !== null ? `, heartbeat ${ago(age / 1000)}` : ""}`;
      watches.push({ name: w.name, kind, target, healthy: a.healthy === true, detail });
    } else watches.push({ name: w.name, kind, target, ...(await offlineWatch(w, statusDir, now)) });
  }

  const sources = Object.entries(obj(doc.sources))
    .map(([name, s]) => ({
      name,
      heartbeat_age_seconds: Math.max(0, (now - Date.parse(String(obj(s).heartbeat_at))) / 1000),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));

  const disks = await Promise.all(
    config.collectors.system.mounts.map(async (m) => {
      const d = await diskUsage(m);
      return {
        mount: m,
        usage_percent: d.usage_ratio === null ? null : Math.round(d.usage_ratio * 1000) / 10,
        free_bytes: d.free_bytes,
        ...(d.error ? { error: d.error } : {}),
      };
    }),
  );

  const thermal = thermalCollector(config);
  const temp = thermal
    ? await thermal
        .collect({
          config,
          state: undefined as unknown as DeviceState, // the thermal collector reads only sysfs
          signal: AbortSignal.timeout(2000),
          now: () => now,
          procRoot: config.collectors.proc_root,
          sysRoot: config.collectors.sys_root,
        })
        .then(
          (d) => d.cpu_temperature_celsius,
          () => null,
        )
    : null;

  let firing: DeviceSummary["alerts"] = { from: "none", firing: [] };
  if (alerts.status === "fulfilled") {
    firing = {
      from: "agent",
      firing: (Array.isArray(alerts.value.firing) ? (alerts.value.firing as JsonObject[]) : []).map((a) => ({
        id: String(a.id),
        severity: String(a.severity),
        summary: String(a.summary),
      })),
    };
  } else {
    const saved = await fsp.readFile(join(config.state_dir, "alerts", "state.json"), "utf8").catch(() => null);
    if (saved !== null) {
      try {
        const inst = (obj(JSON.parse(saved)).instances ?? []) as JsonObject[];
        firing = {
          from: "saved state",
          firing: inst
            .filter((i) => i.state === "firing")
            .map((i) => ({ id: String(i.id), severity: String(i.severity), summary: String(i.summary) })),
        };
      } catch {}
    }
  }

  const errors = running
    ? ((Array.isArray(status.value.errors) ? status.value.errors : []) as JsonObject[]).slice(-5).map((e) => ({
        time: String(e.time),
        source: String(e.source),
        message: String(e.message),
      }))
    : [];

  const guard = await readRebootGuard(
    join(config.state_dir, "recovery", "reboots.json"),
    config.recovery.reboots_per_day,
    now,
  );

  return {
    device: { id: config.device.id, site: config.device.site },
    status: strOrNull(doc.status),
    today: { photos_captured: numOrNull(today.photos_captured), expected_photos: numOrNull(today.expected_photos) },
    last_capture: {
      time: lastTime,
      age_seconds: Number.isFinite(lastMs) ? Math.max(0, (now - lastMs) / 1000) : null,
      filename: strOrNull(last.filename),
    },
    agent,
    watches,
    sources,
    disks,
    temperature_celsius: temp,
    alerts: firing,
    errors,
    reboot_guard: guard,
  };
}
