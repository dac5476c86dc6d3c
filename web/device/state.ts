// The device page's data: the status document, each collector's last result, the alerts, log lines,
// the thresholds the gauges are coloured by, and what the agent said it serves. Sections render from
// it; the transport fills it. The shapes are the server's own (../shared/api.ts).
import type {
  AlertState,
  CollectorDataMap,
  CollectorName,
  CollectorResultFrame,
  GaugeThresholds,
} from "../shared/api.ts";
import type { Obj } from "../shared/dom.ts";

export interface DeviceControl {
  token: boolean;
  actions: Record<string, boolean>;
}

export interface LogRow {
  time: string;
  level: string;
  text: string;
}

export const state = {
  /** The merged status document: what the device's programs wrote (untrusted, read with checks). */
  doc: {} as Obj,
  collectors: new Map<string, CollectorResultFrame>(),
  alerts: new Map<string, AlertState>(),
  logs: [] as LogRow[],
  liveEvents: [] as LogRow[],
  features: { photos: false, logs: false },
  jobsAvailable: true,
  recoveryAvailable: false,
  watches: [] as Obj[],
  /** From the snapshot: is a control token set, and which control actions are configured. */
  control: null as DeviceControl | null,
  /** The alert thresholds the agent judges by (GET /config); no colours until they are known. */
  thresholds: null as GaugeThresholds | null,
  serverSkewMs: 0,
};

/** A collector's data from its last successful run, typed by its name; undefined when there is none. */
export function dataOf<K extends CollectorName>(name: K): CollectorDataMap[K] | undefined {
  const r = state.collectors.get(name);
  return r?.ok ? (r.data as CollectorDataMap[K]) : undefined;
}

const percent = (ratio: number | null | undefined) => (typeof ratio === "number" ? ratio * 100 : undefined);

/** The gauge values: percentages of the system collector's ratios, °C from the thermal collector. */
export const metric = {
  cpu: () => percent(dataOf("system")?.cpu_usage_ratio),
  memory: () => percent(dataOf("system")?.memory_usage_ratio),
  disk: () => percent(dataOf("system")?.disks[0]?.usage_ratio),
  temp: () => dataOf("thermal")?.cpu_temperature_celsius ?? undefined,
};
