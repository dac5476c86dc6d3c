// The real agent process (bin/edgewatch agent; `node scripts/build.mjs` first) on real files.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { tempDir, waitFor as waitForBase } from "../../helpers/tools.ts";

/** Generous deadlines: the machine may be heavily loaded; nothing here asserts on elapsed time. */
export const waitFor = <T>(what: string, check: () => T | Promise<T>, ms = 120_000) => waitForBase(what, check, ms);

const BIN = join(process.cwd(), "bin", "edgewatch");

export interface AgentProcess {
  dir: string;
  statusDir: string;
  stateDir: string;
  url: string;
  child: ChildProcess;
  /** stderr so far */
  log(): string;
  /** The reader's warnings so far (from the agent's JSON log lines on stderr). */
  warnings(): { source: string; reason: string }[];
  /** stdout so far */
  out(): string;
  /** SIGTERM, then the exit code (null when killed by a signal). */
  stop(): Promise<number | null>;
  /** VmRSS of the agent, bytes. */
  rss(): number;
  /** VmHWM (peak RSS) of the agent, bytes. */
  peakRss(): number;
  json<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T }>;
}

export interface Dirs {
  dir: string;
  statusDir: string;
  stateDir: string;
}

/** Starts the agent with a config (YAML lines appended to the basics) in a fresh temp dir. */
export async function startAgentProcess(
  t: TestContext,
  extraYaml: string | ((dirs: Dirs) => string) = "",
  prepare?: (dirs: Dirs) => void,
  /** Extra arguments for node itself (before the agent's script). */
  nodeArgs: string[] = [],
): Promise<AgentProcess> {
  const dir = tempDir(t, "ew-hostile-");
  const statusDir = join(dir, "status");
  const stateDir = join(dir, "state");
  mkdirSync(join(statusDir, "status.d"), { recursive: true });
  mkdirSync(join(statusDir, "events", "new"), { recursive: true });
  mkdirSync(join(statusDir, "events", "tmp"), { recursive: true });
  prepare?.({ dir, statusDir, stateDir });
  const extra = typeof extraYaml === "string" ? extraYaml : extraYaml({ dir, statusDir, stateDir });
  const cfg = join(dir, "agent.yaml");
  writeFileSync(
    cfg,
    `device: { id: pi-hostile, site: lab }
status_dir: ${statusDir}
state_dir: ${stateDir}
http: { bind: 127.0.0.1, port: 0 }
${extra}
`,
  );
  const child = spawn(process.execPath, [...nodeArgs, BIN, "agent", "--config", cfg], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  let out = "";
  child.stderr?.on("data", (d: Buffer) => {
    log += d.toString();
  });
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  });
  const url: string = await waitFor<string>(
    "agent listening",
    () => /listening on (http:\/\/\S+)/.exec(out)?.[1] ?? (child.exitCode !== null ? "exited" : ""),
  );
  assert.notEqual(url, "exited", log);
  const p: AgentProcess = {
    dir,
    statusDir,
    stateDir,
    url,
    child,
    log: () => log,
    out: () => out,
    warnings: () =>
      log
        .split("\n")
        .filter((l) => l.includes('"status reader"'))
        .map((l) => JSON.parse(l) as { source: string; reason: string }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      await waitFor("agent exit after SIGTERM", () => child.exitCode !== null || child.signalCode !== null, 60_000);
      return child.exitCode;
    },
    rss: () => procStatus(child.pid, "VmRSS"),
    peakRss: () => procStatus(child.pid, "VmHWM"),
    async json<T>(path: string) {
      const r = await fetch(`${url}${path}`);
      const text = await r.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {}
      return { status: r.status, body: body as T };
    },
  };
  return p;
}

function procStatus(pid: number | undefined, field: string): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1]) * 1024;
}

/** JSON text nested `depth` levels deep (lists), `{"a":…}` when `objects`. */
export function deepJson(depth: number, objects = false): string {
  return objects ? `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}` : `${"[".repeat(depth)}${"]".repeat(depth)}`;
}
