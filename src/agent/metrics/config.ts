import { z } from "zod";
import { duration } from "../../config/kit.ts";

/** Extra metric-name sets an existing dashboard or alert rule may expect, besides edgewatch_*. */
export const COMPAT_SETS = ["timelapse", "recorder", "node"] as const;

/** `metrics:` — The Prometheus /metrics endpoint and its optional compatibility names. */
export const metricsSection = () =>
  z
    .strictObject({
      enabled: z.boolean().default(true).describe("Serve Prometheus /metrics; false answers 404"),
      compat: z
        .array(z.enum(COMPAT_SETS))
        .max(COMPAT_SETS.length)
        .refine((a) => new Set(a).size === a.length, { error: "each name at most once" })
        .default([])
        .describe(
          "Also expose these name sets, computed from the same state: timelapse (timelapse_*), recorder (recorder_*), node (node_exporter's node_* names and labels)",
        ),
      compat_source: z
        .string()
        .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, { error: 'expected a source name like "recorder"' })
        .default("recorder")
        .describe("The status source whose heartbeat and fields the recorder_* names describe"),
      compat_heartbeat_timeout: duration()
        .prefault("30s")
        .describe("recorder_up is 1 while compat_source's heartbeat is younger than this"),
    })
    .prefault({})
    .describe("Prometheus /metrics and compatibility metric names");
