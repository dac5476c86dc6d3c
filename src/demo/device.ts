import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDocument } from "yaml";
import { startAgent } from "../agent/agent.ts";
import { loadConfig, validateConfig } from "../agent/config.ts";
import { startSimulator } from "./simulator.ts";
import { type Sink, startSink } from "./sink.ts";

/** examples/device.yaml, found beside the bundle (dist/) or the sources (src/demo/). */
export function sampleConfigPath(): string | null {
  for (const rel of ["../examples/device.yaml", "../../examples/device.yaml"]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return null;
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

export interface DeviceDemoOptions {
  config?: string;
  port?: number;
  bind: string;
  dir?: string;
  interval: number;
  duration?: number;
}

/** `edgewatch demo --device`: one agent in this process and a simulated timelapse program. Exit code. */
export async function runDeviceDemo(o: DeviceDemoOptions): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const root = o.dir ?? mkdtempSync(join(tmpdir(), "edgewatch-demo-"));
  const dirs = {
    status: join(root, "status"),
    state: join(root, "state"),
    photos: join(root, "pics"),
    videos: join(root, "videos"),
    log: join(root, "timelapse.log"),
  };
  const path = o.config ?? sampleConfigPath();
  const base = path ? loadConfig(path).config : validateConfig({}, "(defaults)");
  const sink: Sink | null = base.notify.channels.length === 0 ? await startSink(out) : null;
  const stopSink = () => sink?.close() ?? Promise.resolve();
  const sinkChannel = sink ? [{ type: "webhook" as const, name: "demo-sink", url: sink.url, headers: {} }] : [];
  const config = {
    ...base,
    status_dir: dirs.status,
    state_dir: dirs.state,
    // A demo is for looking at, on this machine: the sample config's 0.0.0.0 is for devices.
    http: { ...base.http, bind: o.bind },
    files: {
      ...base.files,
      photos: [`${dirs.photos}/*.jpg`],
      videos: [`${dirs.videos}/*.mp4`],
      logs: [{ path: dirs.log, name: "timelapse", format: "python" as const }],
    },
    history: { ...base.history, interval: Math.min(base.history.interval, o.interval * 1000) },
    notify: { ...base.notify, channels: [...base.notify.channels, ...sinkChannel] },
  };
  out(`edgewatch demo: files in ${root} (config ${path ?? "built-in defaults"})`);

  let agent: Awaited<ReturnType<typeof startAgent>>;
  try {
    agent = await startAgent(config, {
      // /config: the file the values came from, and `overrides` names the keys the demo replaced
      ...(path ? { configPath: path } : {}),
      ...(o.port !== undefined ? { port: o.port } : {}),
      host: o.bind,
    });
  } catch (err) {
    await stopSink();
    if (o.dir === undefined) rmSync(root, { recursive: true, force: true });
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      process.stderr.write(
        `edgewatch demo: port ${o.port ?? config.http.port} is in use; pick another with --port (npm start -- --device --port 8081)\n`,
      );
      return 1;
    }
    throw err;
  }
  const url = agent.url.replace("://0.0.0.0", "://localhost");
  out(
    `edgewatch demo: agent on ${url}\n  ${url}/status   ${url}/metrics   ${url}/api/health/summary   ${url}/logs?level=error`,
  );
  const effective = join(root, "config.yaml");
  writeEffectiveConfig(effective, path, [
    [["status_dir"], dirs.status],
    [["state_dir"], dirs.state],
    [["http", "bind"], o.bind],
    [["http", "port"], Number(new URL(agent.url).port)],
    [["files", "photos"], config.files.photos],
    [["files", "videos"], config.files.videos],
    [["files", "logs"], config.files.logs],
    [["history", "interval"], config.history.interval / 1000],
    ...(sink
      ? [[["notify", "channels"], [{ type: "webhook", name: "demo-sink", url: sink.url }]] as [string[], unknown]]
      : []),
  ]);
  out(
    `edgewatch demo: config in effect in ${effective}${sink ? `; notifications go to a local sink (${sink.url}), printed as "notify" lines` : ""}\n  fire drill: edgewatch drill --config ${effective}`,
  );
  agent.state.on("event", (ev) => {
    out(`event  ${ev.time} ${ev.level.padEnd(8)} ${ev.source}: ${ev.message}${ev.code ? ` [${ev.code}]` : ""}`);
  });
  let last = "";
  agent.state.on("status", (d) => {
    const doc = d as {
      status?: string;
      today?: { photos_captured?: number; expected_photos?: number };
      agent?: { quiet?: boolean };
    };
    const line = `status ${doc.status ?? "-"} photos ${doc.today?.photos_captured ?? 0}/${doc.today?.expected_photos ?? "?"}${doc.agent?.quiet ? " (quiet mode: sampling paused)" : ""}`;
    if (line !== last) out(line);
    last = line;
  });
  const sim = startSimulator({
    dir: dirs.status,
    intervalSeconds: o.interval,
    photosPerDay: 10,
    failureRate: 0.1,
    photoDir: dirs.photos,
    videoDir: dirs.videos,
    logFile: dirs.log,
  });
  await untilStopped(o.duration);
  sim.stop();
  await agent.stop();
  await stopSink();
  // a folder the demo made for itself goes with it; one given with --dir is kept
  if (o.dir === undefined) rmSync(root, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
  return 0;
}

/** Resolves on SIGINT, SIGTERM or after `duration` seconds, whichever comes first. */
export function untilStopped(duration?: number): Promise<void> {
  return new Promise<void>((resolve) => {
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
}
