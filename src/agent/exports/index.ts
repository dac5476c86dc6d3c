import { alertmanager } from "./alertmanager.ts";
import { loki } from "./loki.ts";
import { mqtt } from "./mqtt.ts";
import { remoteWrite } from "./remote-write.ts";
import type { ExportType } from "./types.ts";

/** Every export type; a new one is one file in this folder and one entry here. */
export const exportTypes: ExportType[] = [remoteWrite, loki, alertmanager, mqtt];
