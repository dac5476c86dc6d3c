import { z } from "zod";
import { duration } from "../../../config/kit.ts";
import { runCommand } from "../../../lib/spawn.ts";
import { defineAction, type RecoveryAction, unitName } from "./types.ts";

export const SYSTEMCTL = "/usr/bin/systemctl";

const schema = () =>
  z
    .strictObject({
      type: z.literal("systemd"),
      unit: unitName("recorder.service").describe("Unit to restart"),
      sudo: z.boolean().default(true).describe("Run `sudo systemctl restart UNIT` (the agent runs as a plain user)"),
      timeout: duration().default(60_000).describe("Kill `systemctl` after this"),
    })
    .describe("Restart a systemd unit");

export type SystemdSpec = z.output<ReturnType<typeof schema>>;

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

export const systemd = defineAction({ type: "systemd", schema, create: systemdAction });
