import type { RunResult } from "../../../lib/spawn.ts";

/** What one action run did (the shared spawn helper's result). */
export type ActionResult = RunResult;

/** One recovery action behind one interface: build from config once, run many times. */
export interface RecoveryAction {
  /** The kind of action (its file in actions/): "command", "systemd", "camera", "reboot". */
  readonly kind: string;
  /** Human-readable label for logs. */
  readonly label: string;
  /** Every argv this action may execute (for the sudoers lines `edgewatch install` prints). */
  readonly argvs: string[][];
  run(): Promise<ActionResult>;
}
