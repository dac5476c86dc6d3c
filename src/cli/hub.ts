import { ConfigError } from "../config/load.ts";
import { configOption, defineCommand, EXIT_FAIL, EXIT_OK, parse, survivePipeErrors, UsageError } from "./command.ts";

export default defineCommand({
  name: "hub",
  usage: `Usage: edgewatch hub [--config FILE] [--port N] [--bind ADDR]

Runs the fleet hub: devices' agents push their status, metrics and history to it; it declares a
device late, then down, from its own receive times and notifies through the configured channels;
it serves Healthchecks-compatible dead-man pings (/ping/...), Prometheus service discovery (/sd)
and the fleet API (/api/v1/...). With no config it runs on built-in defaults: SQLite under
$XDG_STATE_HOME/edgewatch-hub (~/.local/state/edgewatch-hub), port 8090, and prints its URL and
the enroll key devices need. Stops cleanly on SIGINT/SIGTERM.

Options:
  -c, --config FILE  hub config file (check it with: edgewatch config check FILE)
      --port N       override http.port (0 picks a free port)
      --bind ADDR    override http.bind
  -h, --help         this help

Example:
  edgewatch hub --config /etc/edgewatch/hub.yaml`,
  async run(args) {
    const { values } = parse(args, { ...configOption, port: { type: "string" }, bind: { type: "string" } }, false);
    let port: number | undefined;
    if (values.port !== undefined) {
      port = Number(values.port);
      if (!/^\d{1,5}$/.test(values.port) || port > 65535)
        throw new UsageError(`--port: expected a port number 0–65535, got ${JSON.stringify(values.port)}`);
    }
    survivePipeErrors();
    const { loadHubConfig } = await import("../hub/config.ts");
    const { startHub } = await import("../hub/kernel.ts");
    let config: ReturnType<typeof loadHubConfig>["config"];
    try {
      config = loadHubConfig(values.config).config;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`edgewatch hub: ${err.message}\n`);
      return EXIT_FAIL;
    }
    let hub: Awaited<ReturnType<typeof startHub>>;
    try {
      hub = await startHub(config, {
        ...(port !== undefined ? { port } : {}),
        ...(values.bind ? { host: values.bind } : {}),
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const where = `${values.bind ?? config.http.bind}:${port ?? config.http.port}`;
      if (e.syscall === "listen") process.stderr.write(`edgewatch hub: cannot listen on ${where} (${e.code})\n`);
      else process.stderr.write(`edgewatch hub: ${e.message}\n`);
      return EXIT_FAIL;
    }
    process.stdout.write(
      `edgewatch hub: listening on ${hub.url} (store ${hub.store.kind}, state ${config.state_dir})\n` +
        `edgewatch hub: enroll key ${hub.enrollKey}\n` +
        `edgewatch hub: ping URLs ${hub.url}/ping/<uuid> and ${hub.url}/ping/${hub.pingKey}/<slug>\n`,
    );
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await hub.stop();
    return EXIT_OK;
  },
});
