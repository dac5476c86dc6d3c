import { runCommand } from "../../../lib/spawn.ts";
import type { ActionSpec } from "../config.ts";
import { SYSTEMCTL } from "./systemd.ts";
import type { RecoveryAction } from "./types.ts";

export type StopUnitSpec = Extract<ActionSpec, { type: "stop_unit" }>;

/** `{type: stop_unit, unit}`: `sudo /usr/bin/systemctl stop UNIT` (emergency relief). */
export function stopUnitAction(spec: StopUnitSpec): RecoveryAction {
  const argv = [...(spec.sudo ? ["sudo"] : []), SYSTEMCTL, "stop", spec.unit];
  const label = `systemctl stop ${spec.unit}`;
  return { kind: "stop_unit", label, argvs: [argv], run: () => runCommand(argv, spec.timeout, label) };
}
