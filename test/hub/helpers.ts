// Real hub and agent processes (bin/edgewatch; `node scripts/build.mjs` first) for the hub tests.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { freePort } from "../helpers/redis.ts";
import { waitFor as waitForBase } from "../helpers/tools.ts";

export { freePort };
export const BIN = join(process.cwd(), "bin", "edgewatch");
export const ENROLL_KEY = "enroll-key-for-tests-0123456789";
export const ADMIN = "admin-token-for-tests-0123456789";

/** Generous deadlines: the machine is shared; nothing here asserts on elapsed time. */
export const waitFor = <T>(what: string, check: () => T | Promise<T>, ms = 60_000) => waitForBase(what, check, ms);

export interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<void>;
  kill(sig?: NodeJS.Signals): Promise<void>;
}

export function run(t: TestContext, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const kill = async (sig: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  t.after(() => kill("SIGKILL"));
  return { child, out: () => out, exited, kill };
}

export interface Hub extends Proc {
  url: string;
  port: number;
  enrollKey: string;
  pingKey: string;
}

export function hubConfig(dir: string, extra = ""): string {
  mkdirSync(dir, { recursive: true });
  const f = join(dir, "hub.yaml");
  writeFileSync(
    f,
    `state_dir: ${join(dir, "state")}
enroll_key: ${ENROLL_KEY}
admin_token: ${ADMIN}
${/^http:/m.test(extra) ? "" : "http: { bind: 127.0.0.1 }"}
${/^ingest:/m.test(extra) ? "" : "ingest: { commit_interval: 20ms }"}
${extra}
`,
  );
  return f;
}

export async function startHub(t: TestContext, cfg: string, port?: number): Promise<Hub> {
  const p = port ?? (await freePort());
  const proc = run(t, ["hub", "--config", cfg, "--port", String(p)]);
  const m = await waitFor("hub listening", () => {
    if (proc.child.exitCode !== null) return "exited";
    return /listening on (\S+)[\s\S]*enroll key (\S+)[\s\S]*\/ping\/<uuid> and \S+\/ping\/(\S+)\/<slug>/.exec(
      proc.out(),
    );
  });
  if (!m || typeof m === "string") throw new Error(`hub exited: ${proc.out()}`);
  return Object.assign(proc, { url: m[1] as string, port: p, enrollKey: m[2] as string, pingKey: m[3] as string });
}

export interface Agent extends Proc {
  id: string;
  dir: string;
  cfg: string;
}

export function agentConfig(dir: string, id: string, site: string, hubUrl: string, extra = ""): string {
  mkdirSync(join(dir, "status"), { recursive: true });
  const f = join(dir, "agent.yaml");
  writeFileSync(
    f,
    `device: { id: ${id}, site: ${site}, tags: [test] }
status_dir: ${join(dir, "status")}
state_dir: ${join(dir, "state")}
http: { bind: 127.0.0.1, port: 0 }
collectors: { system: { interval: 1s } }
hub: { url: "${hubUrl}", enroll_key: ${ENROLL_KEY}, interval: 1s }
${extra}
`,
  );
  return f;
}

export async function startAgent(t: TestContext, dir: string, id: string, cfg?: string): Promise<Agent> {
  const file = cfg ?? join(dir, "agent.yaml");
  const proc = run(t, ["agent", "--config", file]);
  await waitFor(`agent ${id} listening`, () => proc.child.exitCode !== null || proc.out().includes("agent listening"));
  if (proc.child.exitCode !== null) throw new Error(`agent exited: ${proc.out()}`);
  return Object.assign(proc, { id, dir, cfg: file });
}

export async function api<T = unknown>(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: T; text: string; headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body: body as T, text, headers: res.headers };
}

export const admin = { Authorization: `Bearer ${ADMIN}` };

export interface DeviceView {
  id: string;
  site: string;
  tags: string[];
  state: string;
  last_seen: string | null;
  clock_ahead: boolean;
  pushes: number;
}

export async function devices(hubUrl: string): Promise<DeviceView[]> {
  const r = await api<DeviceView[]>(`${hubUrl}/api/v1/devices`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

/** A simulated device: enrolls over HTTP and pushes hand-made batches. */
export async function enroll(
  hubUrl: string,
  id: string,
  site = "lab",
  tags: string[] = [],
  interval = 1,
): Promise<string> {
  const r = await api<{ token: string }>(`${hubUrl}/api/v1/enroll`, {
    method: "POST",
    headers: { Authorization: `Bearer ${ENROLL_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({ id, site, tags, interval }),
  });
  assert.equal(r.status, 201, r.text);
  return r.body.token;
}

export function batch(seq: number, extra: Record<string, unknown> = {}, boot = "boot-1") {
  return {
    boot_id: boot,
    seq,
    sent_at: Date.now(),
    interval: 1,
    samples: [{ t: Date.now(), v: { "system.load": seq } }],
    ...extra,
  };
}

export function push(hubUrl: string, token: string, body: unknown) {
  return api<Record<string, unknown>>(`${hubUrl}/api/v1/push`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
