import { fileURLToPath } from "node:url";
import type { CollectContext, Collector } from "../../../src/agent/collectors/types.ts";
import type { Config } from "../../../src/agent/config.ts";
import { validateConfig } from "../../../src/agent/config.ts";
import type { AgentContext, Logger } from "../../../src/agent/module.ts";
import { DeviceState } from "../../../src/agent/state.ts";
import type { JsonObject } from "../../../src/protocol/json.ts";
import { StatusReader } from "../../../src/protocol/reader.ts";

export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

export function config(collectors: JsonObject = {}, extra: JsonObject = {}): Config {
  return validateConfig({ collectors, ...extra }, "test.yaml");
}

/** A logger that keeps what was logged, so tests can check warnings. */
export function memoryLog(): Logger & { lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (msg: string) => {
    lines.push({ level, msg });
  };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** An agent context around a real DeviceState and a real (not started) StatusReader on `dir`. */
export function agentContext(
  cfg: Config,
  dir: string,
  state = new DeviceState(),
): AgentContext & {
  log: ReturnType<typeof memoryLog>;
} {
  const reader = new StatusReader({ dir, onEvent: () => {}, onWarning: () => {} });
  return { config: cfg, state, reader, log: memoryLog() };
}

/** Run one collector once, the way the runner does (minus timers). */
export function collectOnce<D extends JsonObject>(
  c: Collector<D>,
  cfg: Config,
  state = new DeviceState(),
  now: () => number = Date.now,
): Promise<D> {
  const ctx: CollectContext = {
    config: cfg,
    state,
    now,
    signal: new AbortController().signal,
    procRoot: cfg.collectors.proc_root,
    sysRoot: cfg.collectors.sys_root,
  };
  return c.collect(ctx);
}
