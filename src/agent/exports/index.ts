import { alertmanager } from "./alertmanager.ts";
import { loki } from "./loki.ts";
import { remoteWrite } from "./remote-write.ts";
import type { ExportType } from "./types.ts";

/** Every export type; a new one is one file in this folder and one entry here. */
export const exportTypes: ExportType[] = [remoteWrite, loki, alertmanager];
