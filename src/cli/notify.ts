import { loadConfig } from "../agent/config.ts";
import { ConfigError } from "../config/load.ts";
import { scrub } from "../config/secrets.ts";
import { createChannels } from "../notify/notifier.ts";
import type { Notification } from "../notify/types.ts";
import {
  configOption,
  configPath,
  DEFAULT_CONFIG_PATH,
  defineCommand,
  EXIT_FAIL,
  EXIT_OK,
  parse,
  UsageError,
} from "./command.ts";

/** What a failed test send means for the person running it (the agent's outbox retries all but permanent ones). */
export function hint(reason: string, permanent: boolean): string {
  if (/ECONNREFUSED/.test(reason))
    return "connection refused: nothing listens at that address; check the URL and that the service runs";
  if (/ENOTFOUND|EAI_AGAIN/.test(reason)) return "host name not found: check the URL and the device's DNS";
  if (/bad port/.test(reason)) return "the URL's port is one that HTTP clients refuse to use: check the URL";
  if (/ETIMEDOUT|TIMEOUT|timed out|EHOSTUNREACH|ENETUNREACH/i.test(reason))
    return "no answer: the network or the service is down or unreachable from this device; the agent retries these";
  return permanent
    ? "permanent: fix the config"
    : "the service answered with a temporary error; the agent retries these";
}

export default defineCommand({
  name: "notify",
  usage: `Usage: edgewatch notify test [--channel NAME] [--config FILE]

Sends one test message through every channel in notify.channels (or only NAME), directly, not through
the outbox, and prints each channel's result. Exit 0 when all succeeded, 1 when any failed or the
config is invalid.

Options:
      --channel NAME  only this channel (its name:, or its type when unnamed)
  -c, --config FILE   config file (default: $EDGEWATCH_CONFIG, else ${DEFAULT_CONFIG_PATH} when it exists)
  -h, --help          this help`,
  async run(args) {
    const { values, positionals } = parse(args, { channel: { type: "string" }, ...configOption });
    if (positionals[0] !== "test" || positionals.length !== 1) {
      throw new UsageError(
        `expected "test", got ${positionals.length ? JSON.stringify(positionals.join(" ")) : "nothing"}`,
      );
    }
    let config: ReturnType<typeof loadConfig>["config"];
    try {
      config = loadConfig(configPath(values)).config;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stdout.write(`${err.problems.join("\n")}\n`);
      return EXIT_FAIL;
    }
    let channels = createChannels(config);
    if (channels.length === 0) {
      process.stdout.write("no notification channels configured (notify.channels is empty)\n");
      return EXIT_FAIL;
    }
    if (values.channel !== undefined) {
      const names = channels.map((c) => c.name);
      channels = channels.filter((c) => c.name === values.channel);
      if (channels.length === 0) {
        throw new UsageError(`--channel: expected one of ${names.join(", ")}, got ${JSON.stringify(values.channel)}`);
      }
    }
    const now = new Date().toISOString();
    const results = await Promise.all(
      channels.map(async (c) => {
        const n: Notification = {
          id: `test-${Date.now()}`,
          channel: c.name,
          kind: "test",
          level: "info",
          title: "edgewatch test notification",
          message: `Test message from ${config.device.id} (${config.device.site}) via ${c.type} at ${now}. If you can read this, the channel works.`,
          device_id: config.device.id,
          site: config.device.site,
          timestamp: now,
          dedupe_key: `test:${now}`,
        };
        const r = await c.send(n, new AbortController().signal);
        return { c, r };
      }),
    );
    let failed = 0;
    for (const { c, r } of results) {
      if (r.ok) process.stdout.write(`ok     ${c.name} (${c.type})${r.detail ? `: ${r.detail}` : ""}\n`);
      else {
        failed++;
        process.stdout.write(`FAILED ${c.name} (${c.type}): ${scrub(r.reason)} (${hint(r.reason, r.permanent)})\n`);
      }
    }
    return failed ? EXIT_FAIL : EXIT_OK;
  },
});
