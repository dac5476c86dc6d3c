/** What one action run did; every run is reported, a hanging command included. */
export interface ActionResult {
  /** Action label, e.g. "systemctl restart recorder.service". */
  action: string;
  argv: string[];
  ok: boolean;
  /** "ok" | "failed" | "timeout" | "error" (could not start). */
  result: "ok" | "failed" | "timeout" | "error";
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** Last few KiB of stdout + stderr. */
  output: string;
  /** Why it failed, in words. */
  error?: string;
}

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
