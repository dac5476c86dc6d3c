import { randomBytes } from "node:crypto";
import { type FSWatcher, mkdirSync, mkdtempSync, rmSync, watch, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentChild, spawnAgent } from "./agents.ts";
import { agentConfig, type DeviceSpec, FLEET } from "./devices.ts";
import { type Relay, startRelay } from "./relay.ts";
import { PROFILE_SOURCE, type Simulator, startSimulator } from "./simulator.ts";
import { type Sink, startSink } from "./sink.ts";

/** The hub as the demo needs it; the command starts it (the demo folder does not import the hub). */
export interface FleetHub {
  url: string;
  enrollKey: string;
  stop(): Promise<void>;
}
export type HubStarter = (o: {
  stateDir: string;
  port: number;
  host: string;
  offlineAfterMs: number;
  adminToken: string;
  sinkUrl: string;
  /** A device changed state on the hub (up, late, down). */
  onState(device: string, from: string, to: string): void;
  onLog(level: "warn" | "error", msg: string): void;
}) => Promise<FleetHub>;

export interface FleetOptions {
  port: number;
  listen: string;
  /** Seconds. */
  pushEvery: number;
  captureEvery: number;
  /** 0 = never. */
  freezeEvery: number;
  dropEvery: number;
  dropFor: number;
  duration?: number;
  /** How to run this edgewatch again: node, its flags, its entry file. */
  command: string[];
  startHub: HubStarter;
  /** Resolves when the demo should stop (SIGINT, SIGTERM). */
  stopRequested: Promise<void>;
}

interface Device {
  spec: DeviceSpec;
  dir: string;
  relay: Relay;
  sim: Simulator;
  agent: AgentChild;
  watcher: FSWatcher;
}

/** `edgewatch demo`: a hub, three agent processes with their programs, freezes and drops. Exit code. */
export async function runFleetDemo(o: FleetOptions): Promise<number> {
  let stopping = false;
  // Once stopping, what the parts still report (a device going late as its agent stops) is not news.
  const out = (line: string) => {
    if (!stopping) process.stdout.write(`${line}\n`);
  };
  const root = mkdtempSync(join(tmpdir(), "edgewatch-fleet-"));
  const devices: Device[] = [];
  const spawned: AgentChild[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (seconds: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, seconds * 1000);
    timers.add(t);
  };
  let sink: Sink | null = null;
  let hub: FleetHub | null = null;
  // The demo's own crash must not leave agents or files behind: this runs on any exit of the process.
  const lastResort = () => {
    for (const a of spawned) a.kill();
    rmSync(root, { recursive: true, force: true });
  };
  process.on("exit", lastResort);
  // A second Ctrl-C while stopping: no more waiting for the agents to flush.
  const impatient = () => {
    if (stopping) for (const a of spawned) a.kill();
  };
  process.on("SIGINT", impatient);
  process.on("SIGTERM", impatient);

  const shutdown = async () => {
    stopping = true;
    for (const t of timers) clearTimeout(t);
    // Links back up first: a push hung on a cut link fails at once, so its agent stops at once.
    for (const d of devices) d.relay.openLink();
    await Promise.all(spawned.map((a) => a.stop()));
    for (const d of devices) {
      d.sim.stop();
      d.watcher.close();
    }
    await Promise.all(devices.map((d) => d.relay.close()));
    await hub?.stop().catch((err: Error) => process.stderr.write(`edgewatch demo: stopping the hub: ${err.message}\n`));
    await sink?.close();
    rmSync(root, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
    process.off("exit", lastResort);
    process.off("SIGINT", impatient);
    process.off("SIGTERM", impatient);
  };

  try {
    sink = await startSink(out, true);
    const adminToken = `ewa_${randomBytes(18).toString("base64url")}`;
    try {
      hub = await o.startHub({
        stateDir: join(root, "hub"),
        port: o.port,
        host: o.listen,
        offlineAfterMs: 3 * o.pushEvery * 1000,
        adminToken,
        sinkUrl: sink.url,
        onState: (device, from, to) => out(`hub     ${device}: ${from} → ${to}`),
        onLog: (level, msg) => out(`hub     ${level}: ${msg}`),
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const where = `${o.listen}:${o.port}`;
      const why =
        e.code === "EADDRINUSE"
          ? `${where} is already in use; pick another port with --port (npm start -- --port 8091), or --port 0 for any free one`
          : e.syscall === "listen"
            ? `cannot listen on ${where} (${e.code})`
            : e.message;
      process.stderr.write(`edgewatch demo: cannot start the hub: ${why}\n`);
      await shutdown();
      return 1;
    }
    const page = hub.url.replace("://0.0.0.0", "://localhost").replace("://[::]", "://localhost");
    out(`edgewatch demo: fleet page ${page}/   (API ${page}/api/v1/devices; admin token ${adminToken})`);
    if (o.listen !== "127.0.0.1" && o.listen !== "localhost" && o.listen !== "::1")
      out(`edgewatch demo: the hub listens on ${o.listen}: other machines reach the page at this machine's address`);
    const hubPort = Number(new URL(hub.url).port);
    const hubHost = o.listen === "0.0.0.0" || o.listen === "::" ? "127.0.0.1" : o.listen;

    for (const spec of FLEET) {
      const dir = join(root, spec.id);
      mkdirSync(join(dir, "control"), { recursive: true });
      const relay = await startRelay({ host: hubHost, port: hubPort });
      const source = PROFILE_SOURCE[spec.profile];
      const sim = startSimulator({
        dir: join(dir, "status"),
        profile: spec.profile,
        intervalSeconds: o.captureEvery,
        beatSeconds: Math.min(o.captureEvery, 5),
        photosPerDay: 20,
        failureRate: 0.05,
        camera: spec.what,
        photoDir: join(dir, "pics"),
        videoDir: join(dir, "videos"),
        logFile: join(dir, `${source}.log`),
      });
      // The watchdog's restart action touches control/restart: the program starts afresh (as systemd would).
      const watcher = watch(join(dir, "control"), (_ev, name) => {
        if (name !== "restart" || !sim.frozen || stopping) return;
        sim.restart();
        out(`heal    ${spec.id}: its watchdog restarted the ${source} program`);
      });
      const file = join(dir, "agent.yaml");
      writeFileSync(file, JSON.stringify(agentConfig(spec, dir, relay.port, hub.enrollKey, sink.url, o), null, 2), {
        mode: 0o600,
      });
      const agent = spawnAgent(spec.id, o.command, file, join(dir, "agent.log"), {
        onLog(l) {
          const msg = String(l.msg ?? "");
          if (msg.startsWith("recovery: ")) {
            const healed = / recovered: /.test(msg);
            out(`${healed ? "healed " : "watch  "} ${spec.id}: ${msg.slice(10)}`);
          } else if (l.level === "error" || (l.level === "warn" && msg.startsWith("hub: "))) {
            out(`agent   ${spec.id}: ${l.level} ${msg}`);
          }
        },
        onExit(code, signal, tail) {
          // A Ctrl-C at the terminal reaches the agents too: their exit may come just before the demo's own stop.
          setTimeout(() => {
            if (stopping) return;
            process.stderr.write(
              `edgewatch demo: the agent of ${spec.id} (pid ${agent.pid}) exited unexpectedly (${signal ?? `exit code ${code}`}); the hub will mark it down. Its last lines:\n${tail.trim()}\n`,
            );
          }, 500).unref();
        },
      });
      spawned.push(agent);
      devices.push({ spec, dir, relay, sim, agent, watcher });
    }
    try {
      await Promise.race([Promise.all(devices.map((d) => d.agent.ready)), o.stopRequested]);
    } catch (err) {
      process.stderr.write(`edgewatch demo: ${(err as Error).message}\n`);
      await shutdown();
      return 1;
    }
    for (const d of devices)
      if (d.agent.running)
        out(
          `  ${d.spec.id.padEnd(17)} ${d.spec.what.padEnd(20)} site ${d.spec.site.padEnd(7)} agent ${d.agent.url}/ (pid ${d.agent.pid})`,
        );
    out(
      `edgewatch demo: ${o.freezeEvery ? `every ${o.freezeEvery} s a program freezes (its watchdog restarts it)` : "no freezes"}; ${o.dropEvery ? `every ${o.dropEvery} s a device drops off the network for ${o.dropFor} s` : "no drops"}. Files in ${root}. Ctrl-C stops everything.`,
    );

    let nextFreeze = 0;
    let nextDrop = FLEET.length - 1;
    const freeze = () => {
      const d = devices[nextFreeze++ % devices.length] as Device;
      if (!d.sim.frozen) {
        d.sim.freeze();
        out(`freeze  ${d.spec.id}: the ${d.sim.source} program hangs (stops writing status.d/${d.sim.source}.json)`);
      }
      later(o.freezeEvery, freeze);
    };
    const drop = () => {
      const d = devices[nextDrop++ % devices.length] as Device;
      d.relay.cutLink();
      out(`drop    ${d.spec.id}: off the network for ${o.dropFor} s`);
      later(o.dropFor, () => {
        d.relay.openLink();
        out(`back    ${d.spec.id}: on the network again`);
        later(Math.max(0, o.dropEvery - o.dropFor), drop);
      });
    };
    if (o.freezeEvery) later(o.freezeEvery, freeze);
    if (o.dropEvery) later(o.dropEvery, drop);
    const duration = o.duration;
    if (duration !== undefined) await Promise.race([o.stopRequested, new Promise<void>((r) => later(duration, r))]);
    else await o.stopRequested;
    out("edgewatch demo: stopping");
    stopping = true;
    await shutdown();
    return 0;
  } catch (err) {
    await shutdown().catch(() => {});
    throw err;
  }
}
