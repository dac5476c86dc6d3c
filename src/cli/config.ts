import { readFileSync } from "node:fs";
import { configJsonSchema, configMarkdown, validateConfig } from "../agent/config.ts";
import { ConfigError, parseYaml, validateWith } from "../config/load.ts";
import { defineCommand, EXIT_FAIL, EXIT_OK, parse, UsageError } from "./command.ts";

export default defineCommand({
  name: "config",
  usage: `Usage:
  edgewatch config check FILE   print every problem in FILE, or "ok" (exit 0 ok, 1 invalid); an agent
                                or a hub config (one with enroll_key, store, offline_after, ... is a hub's)
  edgewatch config schema       print the JSON Schema of the config (for editor completion)
  edgewatch config docs         print the config reference (docs/config.md) as markdown

Options:
  -h, --help   this help`,
  async run(args) {
    const { positionals } = parse(args, {});
    const [verb, ...rest] = positionals;
    if (verb === "schema") {
      process.stdout.write(configJsonSchema());
      return EXIT_OK;
    }
    if (verb === "docs") {
      const { hubConfigMarkdown } = await import("../hub/config.ts");
      process.stdout.write(configMarkdown() + hubConfigMarkdown());
      return EXIT_OK;
    }
    if (verb === "check") {
      if (rest.length !== 1) throw new UsageError(`config check: expected one FILE, got ${rest.length}`);
      try {
        const file = rest[0] as string;
        const { looksLikeHubConfig, hubConfigSchema } = await import("../hub/config.ts");
        // Read once: a path that reads only once (a pipe, `<(…)`) is checked from what it held.
        let text: string;
        try {
          text = readFileSync(file, "utf8");
        } catch (err) {
          throw new ConfigError([`${file}: cannot read the config file: ${(err as Error).message}`]);
        }
        const raw = parseYaml(text, file);
        if (looksLikeHubConfig(raw)) validateWith(hubConfigSchema, raw ?? {}, file);
        else validateConfig(raw, file);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stdout.write(`${err.problems.join("\n")}\n`);
        return EXIT_FAIL;
      }
      process.stdout.write("ok\n");
      return EXIT_OK;
    }
    throw new UsageError(
      `expected "check", "schema" or "docs", got ${verb === undefined ? "nothing" : JSON.stringify(verb)}`,
    );
  },
});
