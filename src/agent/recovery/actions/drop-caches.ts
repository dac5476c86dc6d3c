import { z } from "zod";
import { duration } from "../../../config/kit.ts";
import { runCommand } from "../../../lib/spawn.ts";
import { defineAction, type RecoveryAction } from "./types.ts";

export const SYSCTL = "/usr/sbin/sysctl";

const schema = () =>
  z
    .strictObject({
      type: z.literal("drop_caches"),
      sudo: z.boolean().default(true).describe("Run `sudo sysctl -w vm.drop_caches=3`"),
      timeout: duration().default(30_000).describe("Kill `sysctl` after this"),
    })
    .describe("Drop the kernel's clean page cache, dentries and inodes (emergency relief)");

export type DropCachesSpec = z.output<ReturnType<typeof schema>>;

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

export const dropCaches = defineAction({ type: "drop_caches", schema, create: dropCachesAction });
