import { validateConfig } from "../../../src/agent/config.ts";
import { RulesModule } from "../../../src/agent/rules/module.ts";
import { type AlertNotice, DeviceState } from "../../../src/agent/state.ts";
import { ManualClock } from "../../../src/lib/clock.ts";
import type { StatusReader } from "../../../src/protocol/reader.ts";
import type { Silence } from "../../../src/rules/types.ts";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The rules module over a fresh DeviceState, driven by a ManualClock. Notices are collected in order
 * from the state's alert changes, where the notify module takes them in the agent.
 */
export function setup(
  alerts: Record<string, unknown> = {},
  opts: { stateFile?: string; beats?: Map<string, number>; clock?: ManualClock; config?: Record<string, unknown> } = {},
) {
  const config = validateConfig({ ...opts.config, alerts }, "test");
  const state = new DeviceState();
  const clock = opts.clock ?? new ManualClock();
  const notices: AlertNotice[] = [];
  state.on("alert", (_a, n) => {
    if (n) notices.push(n);
  });
  const m = new RulesModule(config, clock, opts.stateFile ?? null);
  const reader = { heartbeats: () => opts.beats ?? new Map() } as unknown as StatusReader;
  const engine = {
    start: () => m.start({ config, state, reader, log: quiet }),
    stop: () => m.stop(),
    idle: () => m.engine?.idle() ?? Promise.resolve(),
    evaluate: () => m.engine.evaluate(),
    view: () => m.engine.view(),
    firingBySeverity: () => m.engine.firingBySeverity(),
    addSilence: (s: Omit<Silence, "id" | "origin">) => m.engine.addSilence(s),
    removeSilence: (id: string) => m.engine.removeSilence(id),
  };
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
