import type { Config } from "../../config/schema.ts";

type RecoveryConfig = Config["recovery"];
type ActionSpec = RecoveryConfig["restart_services"][number];

/** The actions the fleet hub may relay to the recovery module. */
export const REMOTE_ACTIONS = new Set(["test_camera", "restart_service", "reboot"]);

/**
 * The restarts the config already names, by unit and by watch name: the units of
 * `restart_services` and the watches' `restart` actions. A relayed restart_service may run only
 * one of these, exactly as configured — never an arbitrary unit.
 */
export function namedRestarts(cfg: RecoveryConfig): Map<string, ActionSpec> {
  const out = new Map<string, ActionSpec>();
  for (const a of cfg.restart_services) if (a.type === "systemd") out.set(a.unit, a);
  for (const w of cfg.watches) {
    if (!w.restart) continue;
    if (w.restart.type === "systemd") out.set(w.restart.unit, w.restart);
    out.set(w.name, w.restart);
  }
  return out;
}
