import { accessSync, constants } from "node:fs";
import { isIP } from "node:net";
import { basename } from "node:path";
import { runDeviceDemo, untilStopped } from "../demo/device.ts";
import { type HubStarter, runFleetDemo } from "../demo/fleet.ts";
import { defineCommand, dirOption, parse, UsageError } from "./command.ts";

function seconds(name: string, v: string | undefined, def: number, zero = false): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || n < 0 || (n === 0 && !zero))
    throw new UsageError(
      `--${name}: expected a ${zero ? "number of seconds (0 = never)" : "positive number of seconds"}, got ${JSON.stringify(v)}`,
    );
  return n;
}

/**
 * How to start this very edgewatch again, for the agents: bin/edgewatch itself when that is what
 * runs (its #! line gives node the agent's heap bounds, also under \`npm start\`, which runs
 * \`node bin/edgewatch\`), else node with this process's flags and entry file (the sources under tsx).
 */
function agentCommand(): string[] {
  const entry = process.argv[1] as string;
  if (basename(entry) === "edgewatch") {
    try {
      accessSync(entry, constants.X_OK);
      return [entry];
    } catch {}
  }
  return [process.execPath, ...process.execArgv, entry];
}

/** The hub of the fleet demo: in this process, on its own state dir, notifying the demo's sink. */
const startFleetHub: HubStarter = async (o) => {
  const { hubConfigSchema } = await import("../hub/config.ts");
  const { startHub } = await import("../hub/kernel.ts");
  const { validateWith } = await import("../config/load.ts");
  const config = validateWith(
    hubConfigSchema,
    {
      state_dir: o.stateDir,
      http: { bind: o.host, port: o.port },
      offline_after: `${o.offlineAfterMs}ms`,
      admin_token: o.adminToken,
      notify: { channels: [{ type: "webhook", name: "demo-sink", url: o.sinkUrl }] },
    },
    "(fleet demo)",
  );
  const quiet = () => {};
  const hub = await startHub(config, {
    port: o.port,
    host: o.host,
    log: {
      debug: quiet,
      info: (msg, f) => {
        if (msg === "device state" && f) o.onState(String(f.device), String(f.from), String(f.to));
      },
      warn: (msg) => o.onLog("warn", msg),
      error: (msg, f) => o.onLog("error", f?.error ? `${msg}: ${String(f.error)}` : msg),
    },
  });
  return { url: hub.url, enrollKey: hub.enrollKey, stop: () => hub.stop() };
};

export default defineCommand({
  name: "demo",
  usage: `Usage: edgewatch demo [--port N] [--listen ADDR] [--push-every S] [--capture-every S]
                      [--freeze-every S] [--drop-every S] [--drop-for S] [--duration S]
       edgewatch demo --device [--config FILE] [--port N] [--bind ADDR] [--dir DIR] [--interval S] [--duration S]

The fleet demo (what \`npm start\` runs): starts a fleet hub and three simulated devices, each a real
agent process (\`edgewatch agent\`) with its own simulated capture program writing through the status
protocol, enrolled to the hub with its enroll key:
  garden-timelapse  a timelapse camera: a photo per capture interval, a video at the end of each short "day"
  gym-recorder      a gym recorder: a video segment (and a preview still) per capture interval
  shop-door         a surveillance camera: a motion clip (and a snapshot) now and then
Photos carry an EXIF thumbnail, as a Raspberry Pi camera's stills do. Every --freeze-every seconds one
program hangs: its agent's watchdog notices the stale heartbeat and restarts it. Every --drop-every
seconds one device drops off the network for --drop-for seconds (a relay between it and the hub is
cut): the hub marks it late, then down, then up again when it is back. The hub's and the agents'
notifications go to a local sink and are printed ("notify" lines), with one line per freeze, heal,
drop, return and state change. It prints the fleet page's URL (the hub's /), the hub's admin token
and each device's own dashboard. Everything runs in a temporary folder, removed at the end; Ctrl-C
(or SIGTERM) stops every process. The hub listens on 127.0.0.1 unless --listen says otherwise.

The device demo (--device; implied by --config, --dir or --interval): one agent in this process on the
sample config (examples/device.yaml) with its status dir, state dir, photos, videos and log pointed at
a temporary folder (removed at the end), and a simulated timelapse program. Open http://127.0.0.1:8080/ (the dashboard),
/status and /metrics. When the config has no notification channel, notifications go to a local sink
that prints them ("notify ..." lines). The config in effect is written to DIR/config.yaml (its path is
printed), so \`edgewatch drill --config DIR/config.yaml\` runs the fire drill against the demo.

Options:
      --port N           the hub's HTTP port (default 8090); with --device the agent's (default the
                         config's http.port, 8080); 0 picks a free one
      --listen ADDR      listen address (default 127.0.0.1, this machine only; 0.0.0.0 for the network)
      --bind ADDR        the same as --listen
      --push-every S     seconds between the devices' pushes to the hub (default 5); the hub calls a
                         device late after 2 × this and down after 3 × this
      --capture-every S  the programs' pace: seconds between captures, segments, motion checks (default 30)
      --freeze-every S   seconds between program freezes (default 120; 0 = never)
      --drop-every S     seconds between network drops (default 180; 0 = never)
      --drop-for S       how long a device stays off the network (default 60)
      --duration S       stop after this long (default: run until interrupted)
      --device           the single-device demo instead of the fleet
  -c, --config FILE      (--device) agent config (default: examples/device.yaml)
  -d, --dir DIR          (--device) folder for the demo's files (default: a new temporary directory)
      --interval S       (--device) seconds between simulated captures (default 2)
  -h, --help             this help

Examples:
  npm start                                      # the fleet demo on http://127.0.0.1:8090/
  edgewatch demo --port 0 --push-every 1 --capture-every 1 --freeze-every 10 --drop-every 20 --drop-for 8
  edgewatch demo --device --port 8081`,
  async run(args) {
    const { values } = parse(
      args,
      {
        ...dirOption,
        config: { type: "string", short: "c" },
        port: { type: "string" },
        bind: { type: "string" },
        listen: { type: "string" },
        interval: { type: "string" },
        duration: { type: "string" },
        device: { type: "boolean" },
        "push-every": { type: "string" },
        "capture-every": { type: "string" },
        "freeze-every": { type: "string" },
        "drop-every": { type: "string" },
        "drop-for": { type: "string" },
      },
      false,
    );
    const duration = values.duration === undefined ? undefined : seconds("duration", values.duration, 1);
    let port: number | undefined;
    if (values.port !== undefined) {
      port = Number(values.port);
      if (!/^\d{1,5}$/.test(values.port) || port > 65535) {
        throw new UsageError(`--port: expected a port number 0–65535, got ${JSON.stringify(values.port)}`);
      }
    }
    if (values.bind !== undefined && values.listen !== undefined && values.bind !== values.listen)
      throw new UsageError(`--bind and --listen name the same address; got two: ${values.bind} and ${values.listen}`);
    const listenName = values.listen !== undefined ? "listen" : "bind";
    const bind = values.listen ?? values.bind ?? "127.0.0.1";
    if (!isIP(bind) && bind !== "localhost") {
      throw new UsageError(
        `--${listenName}: expected an IP address like 127.0.0.1 or 0.0.0.0, got ${JSON.stringify(bind)}`,
      );
    }
    const device =
      values.device || values.config !== undefined || values.dir !== undefined || values.interval !== undefined;
    const fleetOnly = ["push-every", "capture-every", "freeze-every", "drop-every", "drop-for"] as const;
    if (device) {
      const stray = fleetOnly.filter((k) => values[k] !== undefined);
      if (stray.length > 0)
        throw new UsageError(
          `--${stray.join(", --")}: only for the fleet demo, not with --device, --config, --dir or --interval`,
        );
      return runDeviceDemo({
        ...(values.config !== undefined ? { config: values.config } : {}),
        ...(values.dir !== undefined ? { dir: values.dir } : {}),
        ...(port !== undefined ? { port } : {}),
        ...(duration !== undefined ? { duration } : {}),
        bind,
        interval: seconds("interval", values.interval, 2),
      });
    }
    const pushEvery = seconds("push-every", values["push-every"], 5);
    if (pushEvery < 1) throw new UsageError(`--push-every: expected at least 1 second, got ${pushEvery}`);
    return runFleetDemo({
      port: port ?? 8090,
      listen: bind,
      pushEvery,
      captureEvery: seconds("capture-every", values["capture-every"], 30),
      freezeEvery: seconds("freeze-every", values["freeze-every"], 120, true),
      dropEvery: seconds("drop-every", values["drop-every"], 180, true),
      dropFor: seconds("drop-for", values["drop-for"], 60),
      ...(duration !== undefined ? { duration } : {}),
      command: agentCommand(),
      startHub: startFleetHub,
      stopRequested: untilStopped(),
    });
  },
});
