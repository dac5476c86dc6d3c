import type { RunningAgent } from "../agent/agent.ts";
import { loadConfig } from "../agent/config.ts";
import { AgentKernel } from "../agent/kernel.ts";
import {
  configOption,
  configPath,
  DEFAULT_CONFIG_PATH,
  defineCommand,
  EXIT_FAIL,
  EXIT_OK,
  parse,
  survivePipeErrors,
  UsageError,
} from "./command.ts";

export default defineCommand({
  name: "agent",
  usage: `Usage: edgewatch agent [--config FILE] [--port N] [--bind ADDR]

Runs the one edgewatch process of a device: reads the status protocol directory, samples the
system, serves the HTTP API and Prometheus /metrics. Stops cleanly on SIGINT/SIGTERM. SIGHUP re-reads
the config file: a valid one restarts the agent's modules with it, an invalid one is reported and
the running config is kept.

Options:
  -c, --config FILE  config file (default: $EDGEWATCH_CONFIG, else ${DEFAULT_CONFIG_PATH} when it
                     exists, else built-in defaults)
      --port N       override http.port (0 picks a free port)
      --bind ADDR    override http.bind
  -h, --help         this help

Example:
  edgewatch agent --config ${DEFAULT_CONFIG_PATH}`,
  async run(args) {
    const { values } = parse(args, { ...configOption, port: { type: "string" }, bind: { type: "string" } }, false);
    let port: number | undefined;
    if (values.port !== undefined) {
      port = Number(values.port);
      if (!/^\d{1,5}$/.test(values.port) || port > 65535) {
        throw new UsageError(`--port: expected a port number 0–65535, got ${JSON.stringify(values.port)}`);
      }
    }
    const { config, path } = loadConfig(configPath(values));
    survivePipeErrors();
    // The error boundary: an exception escaping a timer or an I/O callback (a bug, or input no check
    // foresaw) is logged and the agent keeps serving; exiting would only make systemd restart it
    // into the same input, again and again.
    const boundary = (kind: string) => (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      const line = { time: new Date().toISOString(), level: "error", msg: `${kind}; the agent keeps running` };
      process.stderr.write(`${JSON.stringify({ ...line, error: e.message, stack: e.stack?.slice(0, 2000) })}\n`);
    };
    const onException = boundary("uncaught exception");
    const onRejection = boundary("unhandled promise rejection");
    process.on("uncaughtException", onException);
    process.on("unhandledRejection", onRejection);
    let fatal = false;
    let wake = () => {};
    const kernel = new AgentKernel(config, {
      ...(path ? { configPath: path } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(values.bind ? { host: values.bind } : {}),
      onFatal: () => {
        fatal = true;
        wake();
      },
    });
    let agent: RunningAgent;
    try {
      agent = await kernel.start();
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const where = `${values.bind ?? config.http.bind}:${port ?? config.http.port}`;
      if (e.syscall === "listen" && e.code === "EADDRINUSE") {
        process.stderr.write(`edgewatch agent: ${where} is already in use (set http.port or --port)\n`);
      } else if (e.syscall === "listen" && e.code === "EACCES") {
        process.stderr.write(`edgewatch agent: no permission to listen on ${where}\n`);
      } else if (e.code && e.path) {
        process.stderr.write(
          `edgewatch agent: cannot use ${e.path} (${e.code}); check status_dir (${config.status_dir}) and state_dir (${config.state_dir})\n`,
        );
      } else throw err;
      return EXIT_FAIL;
    }
    process.stdout.write(`edgewatch agent: listening on ${agent.url} (status dir ${config.status_dir})\n`);
    // SIGHUP: re-read the config; a bad one is reported and the running agent is kept as it is.
    const onHup = () => void kernel.reload();
    process.on("SIGHUP", onHup);
    await new Promise<void>((resolve) => {
      wake = resolve;
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    process.off("SIGHUP", onHup);
    await kernel.stop();
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
    if (fatal) return EXIT_FAIL;
    return EXIT_OK;
  },
});
