import { z } from "zod";
import { duration } from "../../config/kit.ts";
import { STATUSES } from "../../protocol/names.ts";
import { ruleDefinitions } from "./index.ts";

const ruleNames = ruleDefinitions.map((d) => d.name) as [string, ...string[]];
const ruleName = () => z.enum(ruleNames);
const hhmm = /^([01]\d|2[0-3]):[0-5]\d$/;

const silence = () =>
  z
    .strictObject({
      rules: z.array(ruleName()).optional().describe("Rules silenced (all when omitted)"),
      sources: z.array(z.string().min(1)).optional().describe("Sources silenced (all when omitted)"),
      while_status: z
        .array(z.enum(STATUSES))
        .optional()
        .describe('Silent only while the device status is one of these (e.g. ["creating_video"])'),
      daily: z
        .string()
        .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, {
          error: 'expected a local time window like "22:00-06:00"',
        })
        .optional()
        .describe('Silent every day within this local time window, e.g. "22:00-06:00"'),
      comment: z.string().optional().describe("Why (shown in /api/alerts)"),
    })
    .describe("A standing silence (maintenance window): alerts still show in /api/alerts but do not notify");

const rules = () =>
  z
    .strictObject(Object.fromEntries(ruleDefinitions.map((d) => [d.name, d.config().describe(d.description)])))
    .prefault({})
    .describe("Built-in and registered rules, by name; an unknown name is an error");

/** `alerts:` — Alert rules: thresholds, for-durations, hysteresis, flapping, silences. */
export const alertsSection = () =>
  z
    .strictObject({
      preset: z
        .enum(["default", "seed000"])
        .default("default")
        .describe("Threshold preset for values not set: default (disk 90/95 %) or seed000 (disk 80/90 %)"),
      rules: rules(),
      repeat_interval: duration()
        .prefault("4h")
        .describe("A still-firing alert notifies again after this long (0 = never)"),
      history_size: z.number().int().min(10).max(10_000).default(500).describe("Alert transitions kept, newest first"),
      flapping: z
        .strictObject({
          enabled: z.boolean().default(true).describe("Detect flapping alerts"),
          window: duration()
            .prefault("10m")
            .describe(
              "An alert firing twice within this window is flapping: one notice, then quiet until stable this long",
            ),
        })
        .prefault({})
        .describe("Flapping: one notice instead of a notification per flip"),
      silences: z
        .array(silence())
        .default([{ rules: ["cpu"], while_status: ["creating_video"], comment: "video encoding uses the CPU" }])
        .describe("Standing silences and maintenance windows"),
    })
    .prefault({})
    .describe("Alert rules: thresholds, for-durations, hysteresis, flapping, silences");

export { hhmm as HHMM_RE };
