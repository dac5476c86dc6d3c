// The recovery module's door for the rest of the agent and the CLI: the actions (drill, runbook, the
// camera test), the unit and sudoers files (install), and the probes a one-shot status reuses.

export {
  type ActionSpec,
  actionSpec,
  cameraAction,
  createAction,
  kinds,
  type RecoveryAction,
} from "./actions/index.ts";
export { agentUnit, sudoersFile, sudoersLines, UNIT_DEFAULTS, type UnitOptions } from "./install.ts";
export { parseHeartbeatTimestamp, processMatches } from "./probes.ts";
