import type { z } from "zod";
import type { Logger } from "../../lib/log.ts";
import type { MetricFamily } from "../../lib/metrics.ts";
import type { FilesConfig } from "../files/config.ts";
import type { DeviceState } from "../state.ts";

/** Counters every export keeps; the exports module turns them into `edgewatch_export_*` metrics. */
export class ExportStats {
  /** Items delivered: samples, log lines, alerts, MQTT messages. */
  sent = 0;
  /** Send attempts that failed (each retry counts). */
  failed = 0;
  /** Items given up on: pushed out of a full queue, or refused by the receiver for good. */
  dropped = 0;
  /** ms since epoch of the last accepted send, or null. */
  lastSuccessMs: number | null = null;
  lastError?: string;
  /** Items and bytes waiting (0 for exports without a queue). */
  queued = (): number => 0;
  queuedBytes = (): number => 0;
  /** Bytes the export wrote under the state dir since start. */
  bytesWritten = (): number => 0;
}

/** A control action (the same as the HTTP control routes run, with the same audit log). */
export type ControlRunner = (action: string, client: string) => Promise<{ status: number; result: string }>;

/** What an export sees of the agent (the agent's context has it all). */
export interface ExportContext {
  readonly config: { readonly device: { id: string; site: string }; readonly files: Pick<FilesConfig, "logs"> };
  readonly state: DeviceState;
  readonly log: Logger;
}

export interface ExportDeps {
  ctx: ExportContext;
  /** <state_dir>/exports: each export keeps its queue and positions in a folder of its own (exportDir). */
  dir: string;
  /** The metric families /metrics renders, without the device/site labels (added by the caller). */
  families(): MetricFamily[];
  /** Runs a control action by name (camera_test, camera_recover, restart_services, reboot). */
  control: ControlRunner;
}

/** One configured export instance, e.g. the remote_write to Grafana Cloud. */
export interface Export {
  /** Unique among exports: "<type>" or "<type>/<name>". */
  readonly name: string;
  readonly type: string;
  readonly stats: ExportStats;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Same shape as a module's health verdict. */
  health?(): { ok: boolean; detail?: string };
}

/** An export type: one file in this folder, listed in ./index.ts. */
export interface ExportType<S extends z.ZodType = z.ZodType> {
  /** Its key under `exports:` in the config. */
  readonly type: string;
  /** A list (several receivers) or one object. */
  readonly list: boolean;
  /** Builds the schema of one instance (called to validate, never kept). */
  readonly schema: () => S;
  create(cfg: z.output<S>, deps: ExportDeps): Export;
}

export function defineExport<S extends z.ZodType>(t: ExportType<S>): ExportType<S> {
  return t;
}
