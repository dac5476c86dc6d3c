import { nodeCompat } from "./node.ts";
import { recorderCompat } from "./recorder.ts";
import { timelapseCompat } from "./timelapse.ts";
import type { CompatSet } from "./types.ts";

/** Every compatibility name set, by the name `metrics.compat` lists it under. */
export const COMPAT: readonly CompatSet[] = [timelapseCompat, recorderCompat, nodeCompat];
