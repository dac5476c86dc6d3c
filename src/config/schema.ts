import { hostname } from "node:os";
import { z } from "zod";
import { alertsSection } from "../agent/rules/config.ts";
import { notifySection } from "../notify/config.ts";
import { collectorsSection } from "./sections/collectors.ts";
import { exportsSection } from "./sections/exports.ts";
import { filesSection } from "./sections/files.ts";
import { historySection } from "./sections/history.ts";
import { httpSection } from "./sections/http.ts";
import { hubSection } from "./sections/hub.ts";
import { jobsSection } from "./sections/jobs.ts";
import { metricsSection } from "./sections/metrics.ts";
import { recoverySection } from "./sections/recovery.ts";

const sourceName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, { error: 'expected a source name like "timelapse"' });

/** The one schema: config types are derived from it, and schema/config.schema.json is generated from it. */
export const configSchema = z
  .strictObject({
    device: z
      .strictObject({
        id: z
          .string()
          .min(1)
          .max(128)
          .default(hostname())
          .describe("Device name shown in alerts and metrics (default: this machine's host name)"),
        site: z.string().min(1).max(128).default("default").describe("Where the device is (label on every metric)"),
        tags: z
          .array(z.string().min(1).max(64))
          .max(32)
          .default([])
          .describe("Free-form labels the hub groups, filters and silences by (e.g. [rooftop, gen2])"),
      })
      .prefault({})
      .describe("Which device this is: its name and site label every alert and metric"),
    status_dir: z
      .string()
      .min(1)
      .default("/run/edgewatch")
      .describe("Status protocol directory (a tmpfs); EDGEWATCH_DIR overrides it"),
    state_dir: z
      .string()
      .min(1)
      .default("/var/lib/edgewatch")
      .describe("Persistent state: outbox, history, ledgers, recovery log"),
    legacy_status_file: z
      .string()
      .min(1)
      .optional()
      .describe("A program's single status file (e.g. /tmp/timelapse_status.json), read as source `legacy`"),
    http: httpSection,
    collectors: collectorsSection,
    files: filesSection,
    history: historySection,
    alerts: alertsSection,
    notify: notifySection,
    recovery: recoverySection,
    exports: exportsSection,
    jobs: jobsSection,
    metrics: metricsSection,
    hub: hubSection,
  })
  .describe("edgewatch configuration");

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export { sourceName };
