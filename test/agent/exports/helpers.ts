import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { type RunningAgent, startAgent } from "../../../src/agent/agent.ts";
import type { ConfigInput } from "../../../src/agent/config.ts";
import { validateConfig } from "../../../src/agent/config.ts";
import type { Logger } from "../../../src/agent/module.ts";
import { fieldDouble, readFields } from "../../../src/lib/protobuf.ts";
import { snappyUncompress } from "../../../src/lib/snappy.ts";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

const stacks = new WeakMap<TestContext, (() => unknown)[]>();

/**
 * Cleanups run last-registered first, in one after-hook: an agent or daemon is stopped before the
 * folder it writes into is removed.
 */
export function onCleanup(t: TestContext, fn: () => unknown): void {
  let stack = stacks.get(t);
  if (!stack) {
    const s: (() => unknown)[] = [];
    stacks.set(t, s);
    t.after(async () => {
      for (const f of s.reverse()) await f();
    });
    stack = s;
  }
  stack.push(fn);
}

/** A temp dir removed after everything the test started in it has stopped. */
export function workDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "ew-exports-"));
  onCleanup(t, () => rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 }));
  return dir;
}

export interface LogLine {
  level: string;
  msg: string;
}

/** A real agent on port 0 over the given dirs (reused across restarts), stopped after the test. */
export async function agentOn(
  t: TestContext,
  dir: string,
  input: Partial<ConfigInput>,
): Promise<RunningAgent & { logs: LogLine[]; statusDir: string; stateDir: string }> {
  const statusDir = join(dir, "status");
  const stateDir = join(dir, "state");
  mkdirSync(statusDir, { recursive: true });
  const config = validateConfig(
    {
      device: { id: "pi-test", site: "lab" },
      status_dir: statusDir,
      state_dir: stateDir,
      ...input,
      http: { bind: "127.0.0.1", port: 0, ...(input.http ?? {}) },
    },
    "test",
    {},
  );
  const logs: LogLine[] = [];
  const rec = (level: string) => (msg: string) => logs.push({ level, msg });
  const log: Logger = { debug: rec("debug"), info: rec("info"), warn: rec("warn"), error: rec("error") };
  const agent = await startAgent(config, { log, port: 0, host: "127.0.0.1" });
  onCleanup(t, () => agent.stop());
  return Object.assign(agent, { logs, statusDir, stateDir });
}

/** A daemon the test started: stopped (SIGTERM, then SIGKILL) after the test. */
export function daemon(
  t: TestContext,
  bin: string,
  args: string[],
): { proc: ChildProcess; stderr: () => string; stop(): Promise<void> } {
  const proc = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  proc.stderr?.on("data", (c: Buffer) => {
    err = (err + c.toString()).slice(-4000);
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      const kill = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      proc.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      proc.kill("SIGTERM");
    });
  onCleanup(t, stop);
  return { proc, stderr: () => err, stop };
}

export interface DecodedSeries {
  labels: [string, string][];
  samples: [number, number][];
}

/**
 * A strict remote_write 1.0 decoder: the rules Prometheus itself does not enforce. Throws naming the
 * rule when a payload breaks one: labels sorted by name, unique, non-empty names and values,
 * `__name__` present, at least one sample, samples of one series (across the request) in time order.
 */
export function decodeWriteRequest(body: Uint8Array): DecodedSeries[] {
  const dec = new TextDecoder("utf-8", { fatal: true });
  const out: DecodedSeries[] = [];
  const lastTs = new Map<string, number>();
  for (const f of readFields(snappyUncompress(body))) {
    if (f.field !== 1 || f.wire !== 2) throw new Error(`WriteRequest: unexpected field ${f.field}/${f.wire}`);
    const s: DecodedSeries = { labels: [], samples: [] };
    for (const g of readFields(f.data as Uint8Array)) {
      if (g.field === 1) {
        let k = "";
        let v = "";
        for (const h of readFields(g.data as Uint8Array)) {
          if (h.field === 1) k = dec.decode(h.data);
          else if (h.field === 2) v = dec.decode(h.data);
        }
        s.labels.push([k, v]);
      } else if (g.field === 2) {
        let value = 0;
        let ts = 0;
        for (const h of readFields(g.data as Uint8Array)) {
          if (h.field === 1) value = fieldDouble(h);
          else if (h.field === 2) ts = Number(BigInt.asIntN(64, h.int as bigint));
        }
        s.samples.push([ts, value]);
      } else throw new Error(`TimeSeries: unexpected field ${g.field}`);
    }
    const key = JSON.stringify(s.labels);
    if (s.labels.length === 0) throw new Error("series without labels");
    for (let i = 0; i < s.labels.length; i++) {
      const [k, v] = s.labels[i] as [string, string];
      if (!k) throw new Error(`empty label name in ${key}`);
      if (!v) throw new Error(`empty label value for ${k} in ${key}`);
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)) throw new Error(`invalid label name ${k}`);
      if (i > 0 && (s.labels[i - 1] as [string, string])[0] >= k)
        throw new Error(`labels not sorted or repeated: ${key}`);
    }
    if (!s.labels.some(([k]) => k === "__name__")) throw new Error(`no __name__ in ${key}`);
    if (s.samples.length === 0) throw new Error(`series without samples: ${key}`);
    for (const [ts] of s.samples) {
      const prev = lastTs.get(key);
      if (prev !== undefined && ts <= prev) throw new Error(`samples out of order for ${key}: ${ts} after ${prev}`);
      lastTs.set(key, ts);
    }
    out.push(s);
  }
  return out;
}

export interface Received {
  method: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
  url: string;
}

/** A local HTTP receiver that records every request and answers with `answer` (default 204). */
export async function receiver(
  t: TestContext,
  answer: (r: Received, res: ServerResponse) => void = (_r, res) => {
    res.writeHead(204).end();
  },
): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = { method: req.method ?? "", headers: req.headers, body: Buffer.concat(chunks), url: req.url ?? "" };
      if (req.method === "POST") got.push(r);
      answer(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onCleanup(
    t,
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, got, server };
}

export const labelsOf = (s: DecodedSeries): Record<string, string> => Object.fromEntries(s.labels);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function scrape(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(" ").pop());
  }
  return null;
}

export type { IncomingMessage, ServerResponse };
