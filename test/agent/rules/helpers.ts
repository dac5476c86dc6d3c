import { validateConfig } from "../../../src/agent/config.ts";
import { createRules } from "../../../src/agent/notify/module.ts";
import { type AlertNotice, RuleEngine } from "../../../src/agent/rules/engine.ts";
import { DeviceState } from "../../../src/agent/state.ts";
import { ManualClock } from "../../../src/lib/clock.ts";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A rule engine over a fresh DeviceState, driven by a ManualClock; notices are collected in order. */
export function setup(
  alerts: Record<string, unknown> = {},
  opts: { stateFile?: string; beats?: Map<string, number>; clock?: ManualClock; config?: Record<string, unknown> } = {},
) {
  const config = validateConfig({ ...opts.config, alerts }, "test");
  const state = new DeviceState();
  const clock = opts.clock ?? new ManualClock();
  const notices: AlertNotice[] = [];
  const engine = new RuleEngine({
    rules: createRules(config),
    state,
    heartbeats: () => opts.beats ?? new Map(),
    sink: async (n) => {
      notices.push(n);
    },
    log: quiet,
    clock,
    repeatMs: config.alerts.repeat_interval,
    historySize: config.alerts.history_size,
    flapping: { enabled: config.alerts.flapping.enabled, windowMs: config.alerts.flapping.window },
    silences: config.alerts.silences,
    ...(opts.stateFile ? { stateFile: opts.stateFile } : {}),
  });
  clock.settle = () => engine.idle();
  const cpu = (pct: number) =>
    state.setCollector({
      collector: "system",
      ok: true,
      at: clock.now(),
      durationMs: 1,
      data: { cpu_usage_ratio: pct / 100 },
    });
  const kinds = () => notices.map((n) => `${n.kind}:${n.alert.id}`);
  return { config, state, clock, notices, engine, cpu, kinds };
}
