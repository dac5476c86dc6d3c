import { loadConfig } from "../agent/config.ts";
import { SdNotify } from "../lib/sdnotify.ts";
import { type RunningAgent, startAgent } from "./agent.ts";
import type { Config } from "./config.ts";

export interface KernelOptions {
  /** The config file, when there is one: SIGHUP re-reads it. */
  configPath?: string;
  /** --port / --bind overrides, kept across reloads. */
  port?: number;
  host?: string;
  /** Environment read for NOTIFY_SOCKET / WATCHDOG_USEC (default: process.env). */
  env?: NodeJS.ProcessEnv;
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** A reload left no agent running (the previous config could not start again either). */
  onFatal?: (err: Error) => void;
}

/**
 * The agent's process: it starts the modules, tells systemd READY=1 once HTTP listens (whatever
 * modules are enabled), pings the watchdog, reloads on request (RELOADING=1 … READY=1, the
 * service stays up; a config with problems is refused and the running one kept) and sends
 * STOPPING=1 only when the process really stops. Modules only plug in.
 */
export class AgentKernel {
  private agent: RunningAgent | null = null;
  private phase: "idle" | "running" | "reloading" | "stopping" = "idle";
  private reloads: Promise<void> = Promise.resolve();
  private readonly sd: SdNotify | null;
  private readonly out: (line: string) => void;
  private readonly err: (line: string) => void;

  constructor(
    private config: Config,
    private readonly opts: KernelOptions = {},
  ) {
    this.sd = config.recovery.sd_notify ? new SdNotify(() => this.phase !== "stopping", opts.env) : null;
    this.out = opts.out ?? ((l) => process.stdout.write(`${l}\n`));
    this.err = opts.err ?? ((l) => process.stderr.write(`${l}\n`));
  }

  get running(): RunningAgent | null {
    return this.agent;
  }

  /** Start the agent with the config given; READY=1 once its HTTP server listens. */
  async start(): Promise<RunningAgent> {
    this.agent = await this.launch(this.config);
    this.phase = "running";
    this.sd?.start("edgewatch agent running");
    await this.sd?.settled();
    return this.agent;
  }

  /** Re-read the config file; calls are taken one at a time, in order. */
  reload(): Promise<void> {
    this.reloads = this.reloads
      .then(() => this.reloadOnce())
      .catch((err: Error) => {
        this.agent = null;
        this.err(`edgewatch agent: cannot start again after a reload: ${err.message}`);
        this.opts.onFatal?.(err);
      });
    return this.reloads;
  }

  async stop(): Promise<void> {
    await this.reloads;
    this.phase = "stopping";
    this.sd?.stop();
    await this.sd?.settled();
    await this.agent?.stop();
    this.agent = null;
  }

  private launch(config: Config): Promise<RunningAgent> {
    const { configPath, port, host } = this.opts;
    return startAgent(config, {
      ...(configPath ? { configPath } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(host ? { host } : {}),
      ...(this.sd ? { sdNotify: () => this.sd?.status() ?? null } : {}),
    });
  }

  private async reloadOnce(): Promise<void> {
    if (this.phase !== "running" || !this.agent) return;
    const path = this.opts.configPath;
    if (!path) {
      this.err("edgewatch agent: SIGHUP ignored: running on built-in defaults, no config file to re-read");
      return;
    }
    this.phase = "reloading";
    await this.sd?.reloading();
    try {
      let next: Config;
      try {
        next = loadConfig(path).config;
      } catch (err) {
        const problems = (err as { problems?: string[] }).problems ?? [(err as Error).message];
        this.err(`edgewatch agent: reload refused, keeping the running config:\n  ${problems.join("\n  ")}`);
        return;
      }
      await this.agent.stop();
      try {
        this.agent = await this.launch(next);
        this.config = next;
        this.out(`edgewatch agent: config reloaded; listening on ${this.agent.url}`);
      } catch (err) {
        this.err(`edgewatch agent: reload failed (${(err as Error).message}); restarting with the previous config`);
        this.agent = await this.launch(this.config);
      }
    } finally {
      this.phase = "running";
      await this.sd?.ready("edgewatch agent running");
    }
  }
}
