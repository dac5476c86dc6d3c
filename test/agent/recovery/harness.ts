import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { type RunningAgent, startAgent } from "../../../src/agent/agent.ts";
import type { Config } from "../../../src/agent/config.ts";
import { validateConfig } from "../../../src/agent/config.ts";
import type { Logger } from "../../../src/agent/module.ts";
import { RecoveryModule } from "../../../src/agent/recovery/module.ts";
import type { StepEntry } from "../../../src/agent/recovery/watch.ts";
import type { AlertState } from "../../../src/agent/state.ts";
import type { DeviceEvent } from "../../../src/protocol/events.ts";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
export const CAPTURE = join(FIXTURES, "capture.sh");
export const RESTART = join(FIXTURES, "restart.sh");

export interface Harness {
  agent: RunningAgent;
  mod: RecoveryModule;
  config: Config;
  events: DeviceEvent[];
  alerts: AlertState[];
  warnings: string[];
  stop(): Promise<void>;
}

export function quietLogger(warnings: string[] = []): Logger {
  return {
    debug() {},
    info() {},
    warn: (msg) => warnings.push(msg),
    error: (msg) => warnings.push(msg),
  };
}

/** A real agent (HTTP server included) running only the recovery module. */
export async function startRecovery(t: TestContext, raw: Record<string, unknown>): Promise<Harness> {
  const config = validateConfig(raw, "test");
  mkdirSync(join(config.status_dir, "status.d"), { recursive: true });
  const mod = new RecoveryModule();
  const warnings: string[] = [];
  const agent = await startAgent(config, {
    port: 0,
    host: "127.0.0.1",
    factories: [() => mod],
    log: quietLogger(warnings),
  });
  const events: DeviceEvent[] = [];
  const alerts: AlertState[] = [];
  agent.state.on("event", (ev) => {
    events.push(ev);
  });
  agent.state.on("alert", (a) => {
    alerts.push(a);
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await agent.stop();
  };
  t.after(stop);
  // Once the agent (which restarts programs) has stopped, end every program its restarts started.
  t.after(() => killProcessesNaming(config.status_dir));
  return { agent, mod, config, events, alerts, warnings, stop };
}

export function readSteps(file: string): StepEntry[] {
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as StepEntry);
  } catch {
    return [];
  }
}

export function readLines(file: string): string[] {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

export function readPid(pidfile: string): number | null {
  try {
    const pid = Number(readFileSync(pidfile, "utf8").trim());
    return pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return null;
  }
}

/** The process's start time (clock ticks since boot): tells a pid apart from a later process that reused it. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** True once the process that had `pid` and `start` is gone (dead, or a zombie, or the pid was reused). */
export function processGone(pid: number, start: string | null): boolean {
  const st = processState(pid);
  return st === null || st === "Z" || processStart(pid) !== start;
}

/**
 * SIGKILLs every process whose command line names `dir`: the stand-in programs, including those a
 * restart started in their own session. It does not depend on a pid file, which the temp dir's
 * removal (an earlier after-hook) may already have deleted.
 */
export function killProcessesNaming(dir: string): number[] {
  const killed: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${name}/cmdline`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    if (!cmd.split("\0").some((arg) => arg.includes(dir))) continue;
    try {
      process.kill(Number(name), "SIGKILL");
      killed.push(Number(name));
    } catch {
      // already gone
    }
  }
  return killed;
}

/** Starts the stand-in capture program (its own session, like a service) and kills it after the test. */
export function startCapture(t: TestContext, statusDir: string, source: string, interval: number, pidfile: string) {
  const child = spawn("setsid", ["sh", CAPTURE, statusDir, source, String(interval), pidfile], {
    stdio: "ignore",
    detached: true,
  });
  child.unref();
  t.after(() => killProcessesNaming(statusDir));
}

export async function post(
  url: string,
  token?: string,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, { method: "POST", headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}
