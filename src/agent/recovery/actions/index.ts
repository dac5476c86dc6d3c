import type { ActionSpec } from "../config.ts";
import { cameraAction } from "./camera.ts";
import { dropCachesAction } from "./drop-caches.ts";
import { commandAction } from "./run-command.ts";
import { stopUnitAction } from "./stop-unit.ts";
import { systemdAction } from "./systemd.ts";
import type { RecoveryAction } from "./types.ts";

export type { ActionResult, RecoveryAction } from "./types.ts";

/** Every configurable action kind, one file each; `reboot.ts` wraps one of these as the reboot step. */
const kinds: { [K in ActionSpec["type"]]: (spec: Extract<ActionSpec, { type: K }>) => RecoveryAction } = {
  command: commandAction,
  systemd: systemdAction,
  camera: cameraAction,
  stop_unit: stopUnitAction,
  drop_caches: dropCachesAction,
};

export function createAction(spec: ActionSpec): RecoveryAction {
  const make = kinds[spec.type] as (s: ActionSpec) => RecoveryAction;
  return make(spec);
}
