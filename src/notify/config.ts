import { z } from "zod";
import { duration } from "../config/kit.ts";
import { LEVELS } from "../protocol/names.ts";
import { channelTypes } from "./channels/index.ts";

type Obj = z.ZodObject<{ type: z.ZodLiteral<string> } & z.ZodRawShape>;
const channel = () =>
  z.discriminatedUnion("type", channelTypes.map((c) => c.schema() as unknown as Obj) as unknown as [Obj, ...Obj[]]);

/** `notify:` — Notification channels, levels and the durable outbox. */
export const notifySection = () =>
  z
    .strictObject({
      min_level: z.enum(LEVELS).default("warning").describe("Only notifications at this level and above are sent"),
      channels: z
        .array(channel())
        .default([])
        .superRefine((list, ctx) => {
          const seen = new Set<string>();
          list.forEach((c, i) => {
            const name = (c as { name?: string }).name ?? (c as { type: string }).type;
            if (seen.has(name))
              ctx.addIssue({
                code: "custom",
                path: [i, "name"],
                message: `expected a unique channel name, got ${JSON.stringify(name)} twice (set name: on one of them)`,
              });
            seen.add(name);
          });
        })
        .describe(`Where notifications go; each has a type: ${channelTypes.map((c) => c.type).join(", ")}`),
      timeout: duration().prefault("10s").describe("Give up on one send attempt after this long (then retry)"),
      outbox: z
        .strictObject({
          max_pending: z
            .number()
            .int()
            .min(10)
            .default(1000)
            .describe(
              "Per channel; beyond it the oldest info-level (then lowest-level) notifications are dropped, counted",
            ),
          backoff_initial: duration().prefault("2s").describe("First retry delay (doubles each attempt, with jitter)"),
          backoff_max: duration().prefault("10m").describe("Longest retry delay"),
          summary_after: z
            .number()
            .int()
            .min(2)
            .default(10)
            .describe("When a channel comes back with more than this many queued, send one summary instead of a storm"),
          dead_letter_keep: z.number().int().min(0).default(200).describe("Dead-lettered notifications kept on disk"),
        })
        .prefault({})
        .describe("The durable outbox under state_dir/outbox"),
      daily_summary: z
        .strictObject({
          enabled: z
            .boolean()
            .default(false)
            .describe("Send a daily summary (photos, video, disk, backup, upload, errors of the day)"),
          time: z
            .string()
            .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected a local time like "23:00"' })
            .default("23:00")
            .describe("Local time to send it"),
        })
        .prefault({})
        .describe("Daily summary: photos, video, disk, backup, upload, errors"),
    })
    .prefault({})
    .describe("Notification channels, levels and the durable outbox");

export type NotifyConfig = z.output<ReturnType<typeof notifySection>>;
