import { hostname } from "node:os";
import { z } from "zod";
import { jsonSchemaOf, configMarkdown as referenceMarkdown } from "../config/docs.ts";
import { loadFile, parseYaml, validateWith } from "../config/load.ts";
import { httpSection } from "../http/config.ts";
import { jobsSection } from "../jobs/config.ts";
import { notifySection } from "../notify/config.ts";
import { collectorsSection } from "./collectors/config.ts";
import { exportsSection } from "./exports/config.ts";
import { filesSection } from "./files/config.ts";
import { historySection } from "./history/config.ts";
import { hubSection } from "./hub/config.ts";
import { metricsSection } from "./metrics/config.ts";
import { recoverySection } from "./recovery/config.ts";
import { alertsSection } from "./rules/config.ts";

const sourceName = () =>
  z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, { error: 'expected a source name like "timelapse"' });

/**
 * Builds the agent's schema, composed from the sections its features export: config types are derived
 * from it, and schema/config.schema.json and docs/config.md are generated from it. Built for each
 * validation and let go after it (never kept in a module constant): the ~2,500 schema objects would
 * otherwise stay in the agent's heap for its whole life.
 */
export const agentConfigSchema = () =>
  z
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
      http: httpSection(),
      collectors: collectorsSection(),
      files: filesSection(),
      history: historySection(),
      alerts: alertsSection(),
      notify: notifySection(),
      recovery: recoverySection(),
      exports: exportsSection(),
      jobs: jobsSection(),
      metrics: metricsSection(),
      hub: hubSection(),
    })
    .describe("edgewatch configuration");

export type Config = z.output<ReturnType<typeof agentConfigSchema>>;
export type ConfigInput = z.input<ReturnType<typeof agentConfigSchema>>;
export { sourceName };

/** Validate an already-parsed agent config. `label` prefixes every problem (the file name). */
export function validateConfig(raw: unknown, label: string, env: NodeJS.ProcessEnv = process.env): Config {
  const config = validateWith(agentConfigSchema(), raw, label, env);
  if (env.EDGEWATCH_DIR) config.status_dir = env.EDGEWATCH_DIR;
  return config;
}

/** Parse YAML text; syntax errors are reported with line and column. */
export function parseConfigText(text: string, label: string, env: NodeJS.ProcessEnv = process.env): Config {
  return validateConfig(parseYaml(text, label), label, env);
}

/**
 * Load the agent's config from `path`, else $EDGEWATCH_CONFIG, else the built-in defaults.
 * Throws ConfigError listing every problem at once.
 */
export function loadConfig(
  path?: string,
  env: NodeJS.ProcessEnv = process.env,
): { config: Config; path: string | null } {
  const file = path ?? env.EDGEWATCH_CONFIG;
  if (!file) return { config: validateConfig({}, "(defaults)", env), path: null };
  return { config: loadFile(file, (raw, label) => validateConfig(raw, label, env)), path: file };
}

/** The JSON Schema of the agent's config file (schema/config.schema.json). */
export function configJsonSchemaObject() {
  const schema = jsonSchemaOf(agentConfigSchema());
  // device.id defaults to the host name: machine-specific, so the generated files leave it out.
  const id = schema.properties?.device?.properties?.id;
  if (id) delete id.default;
  return schema;
}

export function configJsonSchema(): string {
  return `${JSON.stringify(configJsonSchemaObject(), null, 2)}\n`;
}

/** docs/config.md (the agent's part; the hub's reference follows it). */
export function configMarkdown(): string {
  return referenceMarkdown(configJsonSchemaObject(), "src/agent/config.ts");
}
