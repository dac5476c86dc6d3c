// The device page's data: the status document, each collector's last result, the alerts, log lines,
// and what the agent said it serves. Sections render from it; the transport fills it.
import { isObj, numOf, type Obj } from "../shared/dom.ts";

export interface Alert {
  id: string;
  rule?: string;
  severity?: string;
  state?: string;
  summary?: string;
  since?: string;
}
export interface Collector {
  collector: string;
  ok: boolean;
  at: number;
  data: Obj;
  error?: string;
}
export interface LogRow {
  time: string;
  level: string;
  text: string;
}

export const state = {
  doc: {} as Obj,
  collectors: new Map<string, Collector>(),
  alerts: new Map<string, Alert>(),
  logs: [] as LogRow[],
  liveEvents: [] as LogRow[],
  features: { photos: false, logs: false },
  jobsAvailable: true,
  recoveryAvailable: false,
  watches: [] as Obj[],
  /** From the snapshot: is a control token set, and which control actions are configured. */
  control: null as { token: boolean; actions: Record<string, boolean> } | null,
  serverSkewMs: 0,
};

/** First finite number at any of these dotted paths in the document or a collector's data. */
function pick(paths: string[]): number | undefined {
  const roots: unknown[] = [state.doc, ...[...state.collectors.values()].map((c) => c.data)];
  for (const p of paths) {
    for (const root of roots) {
      let cur: unknown = root;
      for (const k of p.split(".")) cur = isObj(cur) ? cur[k] : Array.isArray(cur) ? cur[Number(k)] : undefined;
      const n = numOf(cur);
      if (n !== undefined) return p.endsWith("ratio") ? n * 100 : n;
    }
  }
  return undefined;
}
export const metric = {
  cpu: () => pick(["cpu_percent", "cpu_usage_ratio", "cpu.usage_ratio"]),
  memory: () => pick(["memory_percent", "memory_usage_ratio", "memory.usage_ratio"]),
  disk: () => pick(["disk_percent", "disks.0.usage_ratio", "disk_usage_ratio"]),
  temp: () => pick(["cpu_temperature_celsius", "temperature_celsius"]),
};
