import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { schemaRows } from "../config/docs.ts";
import { duration, port } from "../config/kit.ts";
import { ConfigError, parseYaml, validateWith } from "../config/load.ts";
import { notifySection } from "../notify/config.ts";

const secret = (what: string) =>
  z
    .string()
    .min(16, { error: "expected a secret of at least 16 characters" })
    .optional()
    .describe(`${what}. Use \${ENV_VAR}.`);

const slug = z.string().regex(/^[a-z0-9_-]{1,100}$/, { error: 'expected a slug like "nightly-backup" ([a-z0-9_-])' });

const tier = z.strictObject({
  step: duration().describe("Bucket width, e.g. 1m"),
  keep: duration().describe("How long buckets of this width are kept, e.g. 48h"),
});

/** The hub's one schema (`edgewatch hub --config FILE`; `edgewatch config check` knows it). */
export const hubConfigSchema = z
  .strictObject({
    http: z
      .strictObject({
        port: port().default(8090).describe("TCP port of the hub"),
        bind: z.string().min(1).default("0.0.0.0").describe("Address to listen on"),
        max_body_bytes: z
          .number()
          .int()
          .min(1024)
          .max(64 * 1024 * 1024)
          .default(2 * 1024 * 1024)
          .describe("Largest push or ping body accepted; larger ones get 413"),
        max_connections: z.number().int().min(1).max(100000).default(4096).describe("Connection cap"),
      })
      .prefault({})
      .describe("The hub's HTTP server (put a TLS reverse proxy in front of it, see docs/operations.md)"),
    state_dir: z
      .string()
      .min(1)
      .default("/var/lib/edgewatch-hub")
      .describe("Where the hub keeps its store, generated keys and its notification outbox"),
    enroll_key: secret("Devices holding this key register themselves on first contact (generated when unset)"),
    ping_key: z
      .string()
      .regex(/^[A-Za-z0-9_-]{8,64}$/, { error: "expected 8–64 characters [A-Za-z0-9_-]" })
      .optional()
      .describe("Key of /ping/<ping_key>/<slug> URLs (generated when unset)"),
    offline_after: duration()
      .optional()
      .describe("A device with no push for this long is down; default max(3 × its interval, 45 s); used as given"),
    viewer_token: secret("Bearer token for reads; with none set, reads are open (home network)"),
    admin_token: secret("Bearer token for writes (silences, checks, device removal); writes are refused without it"),
    notify: notifySection(),
    store: z
      .discriminatedUnion("type", [
        z.strictObject({
          type: z.literal("sqlite"),
          file: z.string().min(1).optional().describe("Default: <state_dir>/hub.sqlite"),
        }),
        z.strictObject({
          type: z.literal("postgres"),
          url: z.string().regex(/^postgres(ql)?:\/\//, { error: "expected a postgres:// URL" }),
        }),
      ])
      .prefault({ type: "sqlite" })
      .describe("Where state and history live: sqlite (default) or postgres (several hub replicas)"),
    retention: z
      .array(tier)
      .min(1)
      .prefault([
        { step: "1m", keep: "48h" },
        { step: "15m", keep: "30d" },
        { step: "6h", keep: "730d" },
      ])
      .describe("History rollups: each pushed sample is averaged into every tier"),
    ingest: z
      .strictObject({
        commit_interval: duration()
          .prefault("50ms")
          .describe("Group commit: pushes arriving within this are committed together"),
        max_clock_ahead: duration()
          .prefault("5m")
          .describe("Samples stamped further ahead of the hub clock are clamped and the device flagged"),
        enroll_per_minute: z
          .number()
          .int()
          .min(1)
          .default(30)
          .describe("Enrollments accepted per client address per minute"),
      })
      .prefault({})
      .describe("Push ingest"),
    site_unreachable: z
      .boolean()
      .default(true)
      .describe("When every device of a site (two or more) goes silent together, send one alert for the site"),
    checks: z
      .array(
        z.strictObject({
          slug,
          name: z.string().max(100).optional(),
          period: duration().prefault("1d").describe("Expected time between pings"),
          grace: duration().prefault("1h").describe("Extra time before the check is down"),
          schedule: z.string().optional().describe('Cron schedule (5 fields, UTC), e.g. "0 3 * * *"; replaces period'),
        }),
      )
      .default([])
      .describe("Dead-man checks declared in the config (others are created by ?create=1 or the API)"),
  })
  .describe("edgewatch hub configuration");

export type HubConfig = z.output<typeof hubConfigSchema>;

/** Keys only a hub config has: `config check` uses them to tell a hub config from an agent one. */
export const HUB_ONLY_KEYS = [
  "enroll_key",
  "ping_key",
  "offline_after",
  "viewer_token",
  "admin_token",
  "store",
  "retention",
  "ingest",
  "checks",
  "site_unreachable",
];

export function looksLikeHubConfig(raw: unknown): boolean {
  return !!raw && typeof raw === "object" && HUB_ONLY_KEYS.some((k) => k in (raw as object));
}

export function defaultHubStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_STATE_HOME || join(homedir(), ".local", "state"), "edgewatch-hub");
}

/** Load the hub config from FILE, or the embedded default (SQLite under a local state dir). */
export function loadHubConfig(
  path?: string,
  env: NodeJS.ProcessEnv = process.env,
): { config: HubConfig; path: string | null } {
  if (!path)
    return {
      config: validateWith(hubConfigSchema, { state_dir: defaultHubStateDir(env) }, "(defaults)", env),
      path: null,
    };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError([`${path}: cannot read the config file: ${(err as Error).message}`]);
  }
  return { config: validateWith(hubConfigSchema, parseYaml(text, path) ?? {}, path, env), path };
}

/** The hub's part of docs/config.md (appended by `edgewatch config docs`). */
export function hubConfigMarkdown(): string {
  return `
## Hub configuration

The file \`edgewatch hub --config FILE\` reads (\`edgewatch config check FILE\` recognises it by its hub-only
keys: ${HUB_ONLY_KEYS.map((k) => `\`${k}\``).join(", ")}). The same rules apply: unknown keys are errors, \`\${NAME}\`
reads the environment, durations as above. \`notify\` is the agent's notify section. With no file, the hub
runs on these defaults with \`state_dir\` under \`$XDG_STATE_HOME/edgewatch-hub\`.

| key | type | default | what |
| --- | --- | --- | --- |
${schemaRows(hubConfigSchema).join("\n")}
`;
}
