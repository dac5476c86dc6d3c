import type { ActionSpec } from "./index.ts";
import { createAction } from "./index.ts";
import type { RecoveryAction } from "./types.ts";

/**
 * The reboot action: the configured reboot command (default `sudo /usr/bin/systemctl reboot`),
 * labelled "reboot". It never decides by itself: the ladder asks the RebootGuard first, and the
 * module delays it so the log line and the HTTP answer go out before the device goes down.
 */
export function rebootAction(spec: ActionSpec): RecoveryAction {
  const inner = createAction(spec);
  return { kind: "reboot", label: `reboot (${inner.label})`, argvs: inner.argvs, run: () => inner.run() };
}
