import { z } from "zod";
import { duration } from "../../../config/kit.ts";
import { runCommand } from "../../../lib/spawn.ts";
import { SYSTEMCTL } from "./systemd.ts";
import { defineAction, type RecoveryAction, unitName } from "./types.ts";

const schema = () =>
  z
    .strictObject({
      type: z.literal("stop_unit"),
      unit: unitName("uploader.service").describe("Unit to stop (a non-critical one: an uploader, a preview stream)"),
      sudo: z.boolean().default(true).describe("Run `sudo systemctl stop UNIT` (the agent runs as a plain user)"),
      timeout: duration().default(60_000).describe("Kill `systemctl` after this"),
    })
    .describe("Stop a systemd unit (emergency relief)");

export type StopUnitSpec = z.output<ReturnType<typeof schema>>;

/** `{type: stop_unit, unit}`: `sudo /usr/bin/systemctl stop UNIT` (emergency relief). */
export function stopUnitAction(spec: StopUnitSpec): RecoveryAction {
  const argv = [...(spec.sudo ? ["sudo"] : []), SYSTEMCTL, "stop", spec.unit];
  const label = `systemctl stop ${spec.unit}`;
  return { kind: "stop_unit", label, argvs: [argv], run: () => runCommand(argv, spec.timeout, label) };
}

export const stopUnit = defineAction({ type: "stop_unit", schema, create: stopUnitAction });
