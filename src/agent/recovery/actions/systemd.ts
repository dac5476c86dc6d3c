import { runCommand } from "../../../lib/spawn.ts";
import type { ActionSpec } from "../config.ts";
import type { RecoveryAction } from "./types.ts";

export const SYSTEMCTL = "/usr/bin/systemctl";

export type SystemdSpec = Extract<ActionSpec, { type: "systemd" }>;

/** `{type: systemd, unit}`: `sudo /usr/bin/systemctl restart UNIT` (sudoers allows exactly that line). */
export function systemdAction(spec: SystemdSpec): RecoveryAction {
  const argv = [...(spec.sudo ? ["sudo"] : []), SYSTEMCTL, "restart", spec.unit];
  const label = `systemctl restart ${spec.unit}`;
  return {
    kind: "systemd",
    label,
    argvs: [argv],
    run: () => runCommand(argv, spec.timeout, label),
  };
}
