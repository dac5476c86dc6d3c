import { mkdirSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { type RunningAgent, startAgent } from "../../../src/agent/agent.ts";
import type { ConfigInput } from "../../../src/agent/config.ts";
import { validateConfig } from "../../../src/agent/config.ts";
import type { Logger } from "../../../src/agent/module.ts";
import { tempDir, waitFor } from "../../helpers/tools.ts";

export interface TestAgent extends RunningAgent {
  dir: string;
  statusDir: string;
  stateDir: string;
  logs: { level: string; msg: string; fields?: Record<string, unknown> }[];
}

/** A real agent (every registered module) on an ephemeral port with its own temp dirs; stopped after the test. */
export async function startTestAgent(t: TestContext, input: Partial<ConfigInput> = {}): Promise<TestAgent> {
  // after-hooks run in the order they are added: stop the agent before its folder is removed (its
  // last history flush would otherwise write the folder back after the removal)
  let agent: RunningAgent | undefined;
  t.after(() => agent?.stop());
  const dir = tempDir(t, "ew-agent-");
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
  const logs: TestAgent["logs"] = [];
  const rec = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    logs.push({ level, msg, ...(fields ? { fields } : {}) });
  const log: Logger = { debug: rec("debug"), info: rec("info"), warn: rec("warn"), error: rec("error") };
  agent = await startAgent(config, { log, port: 0, host: "127.0.0.1" });
  return Object.assign(agent, { dir, statusDir, stateDir, logs });
}

export interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

export function get(url: string, headers: Record<string, string> = {}, method = "GET", body?: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text,
          json: <T>() => JSON.parse(text) as T,
        });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setTimeout(60_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.end(body);
  });
}

/** waitFor, typed for checks that return the value or null/false while not there yet. */
export async function until<T>(
  what: string,
  check: () => Promise<T | null | false | undefined> | T | null | false | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  return (await waitFor(what, check, timeoutMs)) as T;
}
