import { existsSync, mkdtempSync } from "node:fs";
import { isIP } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startAgent } from "../agent/agent.ts";
import { loadConfig, validateConfig } from "../config/load.ts";
import { startSimulator } from "../demo/simulator.ts";
import { defineCommand, dirOption, EXIT_FAIL, EXIT_OK, parse, UsageError } from "./command.ts";

/** examples/device.yaml, found beside the bundle (dist/) or the sources (src/cli/). */
export function sampleConfigPath(): string | null {
  for (const rel of ["../examples/device.yaml", "../../examples/device.yaml"]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return null;
}

function positive(name: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || n <= 0)
    throw new UsageError(`--${name}: expected a positive number of seconds, got ${JSON.stringify(v)}`);
  return n;
}

export default defineCommand({
  name: "demo",
  summary: "run a live demo device: the agent plus a simulated timelapse camera",
  usage: `Usage: edgewatch demo [--config FILE] [--port N] [--bind ADDR] [--dir DIR] [--interval SECONDS] [--duration SECONDS]

Starts the agent on the sample config (examples/device.yaml) with its status dir, state dir, photos,
videos and log pointed at a temporary folder, and a simulated timelapse program that writes through
the status protocol: captures on a schedule, an occasional failed capture, a video at the end of a
short "day" (quiet mode while it encodes), a real small JPEG per photo. Open http://127.0.0.1:8080/
(the dashboard), /status and /metrics. It listens on this machine only unless --bind says otherwise.
Stops on Ctrl-C, or after --duration.

Options:
  -c, --config FILE      agent config (default: examples/device.yaml)
      --port N           HTTP port (default: the config's http.port, 8080; 0 picks a free one)
      --bind ADDR        listen address (default 127.0.0.1, this machine only; 0.0.0.0 for the network)
  -d, --dir DIR          folder for the demo's files (default: a new temporary directory)
      --interval SECONDS seconds between simulated captures (default 2)
      --duration SECONDS stop after this long (default: run until interrupted)
  -h, --help             this help`,
  async run(args) {
    const { values } = parse(
      args,
      {
        ...dirOption,
        config: { type: "string", short: "c" },
        port: { type: "string" },
        bind: { type: "string" },
        interval: { type: "string" },
        duration: { type: "string" },
      },
      false,
    );
    const interval = positive("interval", values.interval, 2);
    const duration = values.duration === undefined ? undefined : positive("duration", values.duration, 1);
    let port: number | undefined;
    if (values.port !== undefined) {
      port = Number(values.port);
      if (!/^\d{1,5}$/.test(values.port) || port > 65535) {
        throw new UsageError(`--port: expected a port number 0–65535, got ${JSON.stringify(values.port)}`);
      }
    }
    const bind = values.bind ?? "127.0.0.1";
    if (!isIP(bind) && bind !== "localhost") {
      throw new UsageError(`--bind: expected an IP address like 127.0.0.1 or 0.0.0.0, got ${JSON.stringify(bind)}`);
    }
    const root = values.dir ?? mkdtempSync(join(tmpdir(), "edgewatch-demo-"));
    const dirs = {
      status: join(root, "status"),
      state: join(root, "state"),
      photos: join(root, "pics"),
      videos: join(root, "videos"),
      log: join(root, "timelapse.log"),
    };
    const path = values.config ?? sampleConfigPath();
    const base = path ? loadConfig(path).config : validateConfig({}, "(defaults)");
    const config = {
      ...base,
      status_dir: dirs.status,
      state_dir: dirs.state,
      // A demo is for looking at, on this machine: the sample config's 0.0.0.0 is for devices.
      http: { ...base.http, bind },
      files: {
        ...base.files,
        photos: [`${dirs.photos}/*.jpg`],
        videos: [`${dirs.videos}/*.mp4`],
        logs: [{ path: dirs.log, name: "timelapse", format: "python" as const }],
      },
      history: { ...base.history, interval: Math.min(base.history.interval, interval * 1000) },
    };
    process.stdout.write(`edgewatch demo: files in ${root} (config ${path ?? "built-in defaults"})\n`);

    let stopAgent = async () => {};
    {
      let agent: Awaited<ReturnType<typeof startAgent>>;
      try {
        agent = await startAgent(config, {
          // /config names the sample file and lists the keys the demo replaced (its `overrides`)
          ...(path ? { configPath: path } : {}),
          ...(port !== undefined ? { port } : {}),
          host: bind,
        });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
          process.stderr.write(
            `edgewatch demo: port ${port ?? config.http.port} is in use; pick another with --port (npm start -- --port 8081)\n`,
          );
          return EXIT_FAIL;
        }
        throw err;
      }
      stopAgent = () => agent.stop();
      const url = agent.url.replace("://0.0.0.0", "://localhost");
      process.stdout.write(
        `edgewatch demo: agent on ${url}\n  ${url}/status   ${url}/metrics   ${url}/api/health/summary   ${url}/logs?level=error\n`,
      );
      agent.state.on("event", (ev) => {
        process.stdout.write(
          `event  ${ev.time} ${ev.level.padEnd(8)} ${ev.source}: ${ev.message}${ev.code ? ` [${ev.code}]` : ""}\n`,
        );
      });
      let last = "";
      agent.state.on("status", (d) => {
        const doc = d as {
          status?: string;
          today?: { photos_captured?: number; expected_photos?: number };
          agent?: { quiet?: boolean };
        };
        const line = `status ${doc.status ?? "-"} photos ${doc.today?.photos_captured ?? 0}/${doc.today?.expected_photos ?? "?"}${doc.agent?.quiet ? " (quiet mode: sampling paused)" : ""}`;
        if (line !== last) process.stdout.write(`${line}\n`);
        last = line;
      });
    }
    const sim = startSimulator({
      dir: dirs.status,
      intervalSeconds: interval,
      photosPerDay: 10,
      failureRate: 0.1,
      photoDir: dirs.photos,
      videoDir: dirs.videos,
      logFile: dirs.log,
    });
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      process.once("SIGINT", done);
      process.once("SIGTERM", done);
      if (duration !== undefined) setTimeout(done, duration * 1000);
    });
    sim.stop();
    await stopAgent();
    return EXIT_OK;
  },
});
