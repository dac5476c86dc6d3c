import { z } from "zod";
import { duration } from "../../config/kit.ts";

/** `history:` — Sample history ring kept across restarts. */
export const historySection = () =>
  z
    .strictObject({
      max_samples: z
        .number()
        .int()
        .min(10)
        .max(100_000)
        .default(1000)
        .describe("Samples kept in the ring (the last 1000 by default); the oldest is dropped first"),
      interval: duration()
        .prefault(60)
        .describe("At most one history sample per this interval, taken when collectors report (no timer of its own)"),
      flush_interval: duration()
        .prefault("1h")
        .describe("How often the ring is written to state_dir/history.json (atomically, only when changed)"),
      file: z
        .string()
        .min(1)
        .optional()
        .describe("Where the ring is kept across restarts (default: <state_dir>/history.json)"),
    })
    .prefault({})
    .describe("Sample history ring kept across restarts");
