import { runCommand } from "../../../lib/spawn.ts";
import type { ActionSpec } from "../config.ts";
import type { RecoveryAction } from "./types.ts";

export const SYSCTL = "/usr/sbin/sysctl";

export type DropCachesSpec = Extract<ActionSpec, { type: "drop_caches" }>;

/**
 * `{type: drop_caches}`: `sudo /usr/sbin/sysctl -w vm.drop_caches=3`. The kernel frees clean page
 * cache, dentries and inodes (dirty pages are untouched, so nothing is lost); an argv, not a shell
 * `echo 3 >`, so sudoers can allow exactly this one line.
 */
export function dropCachesAction(spec: DropCachesSpec): RecoveryAction {
  const argv = [...(spec.sudo ? ["sudo"] : []), SYSCTL, "-w", "vm.drop_caches=3"];
  return {
    kind: "drop_caches",
    label: "drop caches",
    argvs: [argv],
    run: () => runCommand(argv, spec.timeout, "drop caches"),
  };
}
