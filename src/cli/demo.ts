import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { isIP } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDocument } from "yaml";
import { startAgent } from "../agent/agent.ts";
import { loadConfig, validateConfig } from "../agent/config.ts";
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

/**
 * A local notification sink for a config with no channels: a webhook receiver on 127.0.0.1 that prints
 * each notification, so the demo (and `edgewatch drill` against it) shows the alert path end to end.
 */
function startSink(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      if (body.length < 65_536) body += c;
    });
    req.on("end", () => {
      try {
        const n = JSON.parse(body) as { level?: string; message?: string };
        process.stdout.write(`notify ${String(n.level ?? "?").padEnd(8)} ${String(n.message ?? "").split("\n")[0]}\n`);
        res.writeHead(204).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}/notify`, server });
    });
  });
}

/**
 * The config the demo runs with, as a file: the source's text (comments and ${VAR} references kept,
 * so no secret is written out) with the demo's keys replaced, for `edgewatch drill --config FILE`.
 */
function writeEffectiveConfig(file: string, source: string | null, set: [string[], unknown][]): void {
  let doc = parseDocument(source ? readFileSync(source, "utf8") : "");
  if (doc.contents === null) doc = parseDocument("{}\n"); // an empty file (or only comments)
  for (const [key, value] of set) doc.setIn(key, doc.createNode(value));
  const head = `# The config \`edgewatch demo\` runs with: ${source ?? "built-in defaults"} with the demo's keys replaced.\n`;
  writeFileSync(file, head + String(doc), { mode: 0o600 });
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

When the config has no notification channel, the demo's notifications go to a local sink that prints
them ("notify ..." lines). The config in effect is written to DIR/config.yaml (its path is printed),
so \`edgewatch drill --config DIR/config.yaml\` runs the fire drill against the demo.

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
    const sink = base.notify.channels.length === 0 ? await startSink() : null;
    // closeAllConnections: the agent's keep-alive connections would otherwise hold close() open
    const stopSink = () =>
      new Promise<void>((r) => {
        if (!sink) return r();
        sink.server.close(() => r());
        sink.server.closeAllConnections();
      });
    const sinkChannel = sink ? [{ type: "webhook" as const, name: "demo-sink", url: sink.url, headers: {} }] : [];
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
      notify: { ...base.notify, channels: [...base.notify.channels, ...sinkChannel] },
    };
    process.stdout.write(`edgewatch demo: files in ${root} (config ${path ?? "built-in defaults"})\n`);

    let stopAgent = async () => {};
    {
      let agent: Awaited<ReturnType<typeof startAgent>>;
      try {
        agent = await startAgent(config, {
          // /config: the file the values came from, and `overrides` names the keys the demo replaced
          ...(path ? { configPath: path } : {}),
          ...(port !== undefined ? { port } : {}),
          host: bind,
        });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
          process.stderr.write(
            `edgewatch demo: port ${port ?? config.http.port} is in use; pick another with --port (npm start -- --port 8081)\n`,
          );
          await stopSink();
          return EXIT_FAIL;
        }
        await stopSink();
        throw err;
      }
      stopAgent = async () => {
        await agent.stop();
        await stopSink();
      };
      const url = agent.url.replace("://0.0.0.0", "://localhost");
      process.stdout.write(
        `edgewatch demo: agent on ${url}\n  ${url}/status   ${url}/metrics   ${url}/api/health/summary   ${url}/logs?level=error\n`,
      );
      const effective = join(root, "config.yaml");
      writeEffectiveConfig(effective, path, [
        [["status_dir"], dirs.status],
        [["state_dir"], dirs.state],
        [["http", "bind"], bind],
        [["http", "port"], Number(new URL(agent.url).port)],
        [["files", "photos"], config.files.photos],
        [["files", "videos"], config.files.videos],
        [["files", "logs"], config.files.logs],
        [["history", "interval"], config.history.interval / 1000],
        ...(sink
          ? [[["notify", "channels"], [{ type: "webhook", name: "demo-sink", url: sink.url }]] as [string[], unknown]]
          : []),
      ]);
      process.stdout.write(
        `edgewatch demo: config in effect in ${effective}${sink ? `; notifications go to a local sink (${sink.url}), printed as "notify" lines` : ""}\n  fire drill: edgewatch drill --config ${effective}\n`,
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
      // the --duration timer is cleared on a signal: left pending, it kept the process alive until it fired
      const timer = duration === undefined ? undefined : setTimeout(() => done(), duration * 1000);
      const done = () => {
        clearTimeout(timer);
        process.off("SIGINT", done);
        process.off("SIGTERM", done);
        resolve();
      };
      process.once("SIGINT", done);
      process.once("SIGTERM", done);
    });
    sim.stop();
    await stopAgent();
    return EXIT_OK;
  },
});
