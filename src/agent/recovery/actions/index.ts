import { z } from "zod";
import { camera } from "./camera.ts";
import { dropCaches } from "./drop-caches.ts";
import { command } from "./run-command.ts";
import { stopUnit } from "./stop-unit.ts";
import { systemd } from "./systemd.ts";
import type { ActionKind, ActionSchema, RecoveryAction } from "./types.ts";

export { cameraAction } from "./camera.ts";
export type { ActionKind, ActionResult, RecoveryAction } from "./types.ts";

/**
 * Every configurable action kind: a new one is one file in this folder (its schema and `create`) plus
 * one entry here. `reboot.ts` wraps one of these as the reboot step.
 */
export const kinds = [command, systemd, camera, stopUnit, dropCaches] as const;

type Schemas<T extends readonly ActionKind<ActionSchema>[]> = { -readonly [K in keyof T]: ReturnType<T[K]["schema"]> };

/**
 * Builds the schema of one action in the config (`restart:`, `reboot:`, `emergency.actions[]`, ...): any
 * kind, by `type`.
 */
export const actionSpec = () =>
  z.discriminatedUnion("type", kinds.map((k) => k.schema()) as unknown as Schemas<typeof kinds>);

export type ActionSpec = z.output<ReturnType<typeof actionSpec>>;

export function createAction(spec: ActionSpec): RecoveryAction {
  const kind = kinds.find((k) => k.type === spec.type) as ActionKind | undefined;
  if (!kind) throw new Error(`unknown action type ${spec.type}`); // unreachable: the schema lists the same kinds
  return kind.create(spec);
}
