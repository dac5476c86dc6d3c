/**
 * edgewatch's library: what a Node program needs to report its state to the agent.
 * @example
 * import { updateStatus, emitEvent, heartbeat } from "edgewatch";
 * await updateStatus("timelapse", { status: "capturing", today: { photos_captured: 342 } });
 * await emitEvent("timelapse", { level: "error", message: "capture failed", code: "CAP-001" });
 *
 * It holds the status protocol only: a capture program that imports it does not load the agent's
 * config schema, validators or YAML parser (test/build/bundle.test.ts keeps it that way).
 */

import type { JsonObject } from "./protocol/json.ts";
import { mergeFragments } from "./protocol/merge.ts";
import { type DirOptions, statusDir } from "./protocol/paths.ts";
import { readFragmentsOnce } from "./protocol/reader.ts";

export { EdgewatchError } from "./protocol/errors.ts";
export { type DeviceEvent, type EventInput, emitEvent } from "./protocol/events.ts";
export { heartbeat, updateStatus, writeFragment } from "./protocol/fragment.ts";
export { type DeviceStatusValue, LEVELS, type Level, STATUSES } from "./protocol/names.ts";

/**
 * The merged device document as the status files say it now (no agent needed).
 * @example const doc = await readDeviceStatus(); console.log(doc.status);
 */
export async function readDeviceStatus(opts?: DirOptions & { legacyStatusFile?: string }): Promise<JsonObject> {
  return mergeFragments(await readFragmentsOnce(statusDir(opts), opts?.legacyStatusFile));
}
