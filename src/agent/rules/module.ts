import { join } from "node:path";
import { HttpError, Query, sendJson } from "../../http/respond.ts";
import { BeatAges, type Clock, systemClock } from "../../lib/clock.ts";
import { RuleEngine } from "../../rules/engine.ts";
import type { AlertChange } from "../../rules/types.ts";
import type { Config } from "../config.ts";
import type { AgentContext, AgentModule, HealthVerdict, MetricFamily, Route } from "../module.ts";
import type { DeviceState } from "../state.ts";
import { ruleDefinitions } from "./index.ts";
import { parseSilence, silenceJson } from "./silence-api.ts";
import type { Rule, RuleInput } from "./types.ts";

/** The jobs views the jobs rules evaluate, for the jobs module's routes (one reading of jobs, queues and ledger). */
export { jobViews, ledgerSuccesses, queueData } from "./jobs.ts";

/** Build every enabled rule from the config. */
export function createRules(config: Config): Rule[] {
  const out: Rule[] = [];
  const cfgs = config.alerts.rules as Record<string, unknown>;
  for (const def of ruleDefinitions) {
    const r = def.create(cfgs[def.name] as never, config);
    if (r) out.push(r);
  }
  return out;
}

/** An engine change into the device state: every alert reaches the notify module (and the API) this way. */
export function publishInto(state: DeviceState): (c: AlertChange) => Promise<void> {
  return (c) => (c.remove ? state.clearAlert(c.alert, c.notice) : state.setAlert(c.alert, c.notice));
}

const NO_NOTIFICATIONS = { pending: 0, oldest_age_seconds: 0, channels: [] };

/**
 * The rules module: the device's rule definitions (this folder) evaluated by the shared engine
 * (src/rules/) on every sample, status change and event, each alert change published into the device
 * state (the notify module sends what it brings); GET /api/alerts, the silence routes, the firing gauge.
 */
export class RulesModule implements AgentModule {
  readonly name = "rules";
  engine!: RuleEngine<RuleInput>;
  private unsubs: (() => void)[] = [];
  private state: DeviceState | null = null;

  constructor(
    private readonly config: Config,
    private readonly clock: Clock = systemClock,
    /** Where alerts persist across restarts; null: memory only. */
    private readonly stateFile: string | null = join(config.state_dir, "alerts", "state.json"),
  ) {}

  async start(ctx: AgentContext): Promise<void> {
    const { config, clock } = this;
    const state = ctx.state;
    this.state = state;
    const beats = new BeatAges(clock);
    this.engine = new RuleEngine<RuleInput>({
      rules: createRules(config),
      input: () => ({ state, heartbeats: () => beats.translate(ctx.reader.heartbeats()), now: clock.now() }),
      publish: publishInto(state),
      status: () => state.status,
      // the agent's start time too: "never reported since start" and uptime count on the monotonic clock
      onClockStep: (d) => {
        (state as { startedAt: number }).startedAt += d;
      },
      log: ctx.log,
      clock,
      repeatMs: config.alerts.repeat_interval,
      historySize: config.alerts.history_size,
      flapping: { enabled: config.alerts.flapping.enabled, windowMs: config.alerts.flapping.window },
      silences: config.alerts.silences.map((s) => ({
        ...(s.rules ? { rules: s.rules } : {}),
        ...(s.sources ? { sources: s.sources } : {}),
        ...(s.while_status ? { while_status: s.while_status } : {}),
        ...(s.daily ? { daily: s.daily } : {}),
        ...(s.comment ? { comment: s.comment } : {}),
      })),
      ...(this.stateFile ? { stateFile: this.stateFile } : {}),
    });
    await this.engine.start();
    this.unsubs.push(
      state.on("sample", () => this.engine.evaluate()),
      state.on("status", () => this.engine.evaluate()),
      state.on("event", (ev) => this.engine.onEvent(ev)),
    );
  }

  stop(): void {
    for (const u of this.unsubs) u();
    this.unsubs = [];
    this.engine?.stop();
  }

  health(): HealthVerdict {
    const stuck = this.engine.stuck();
    return stuck ? { ok: false, detail: stuck } : { ok: true };
  }

  routes(): Route[] {
    return [
      {
        method: "GET",
        path: "/api/alerts",
        handle: (_req, res, url) => {
          const limit = new Query(url.searchParams).int("limit", { min: 0, max: 10_000, default: 100 });
          const v = this.engine.view();
          sendJson(res, 200, {
            firing: v.firing,
            pending: v.pending,
            history: v.history.slice(0, limit),
            silences: v.silences.map(silenceJson),
            notifications: this.state?.notifications?.() ?? NO_NOTIFICATIONS,
          });
        },
      },
      {
        method: "POST",
        path: "/api/alerts/silence",
        control: true,
        handle: async (_req, res, _url, body) => {
          const s = await this.engine.addSilence(parseSilence(body, this.clock.now()));
          sendJson(res, 201, { silence: silenceJson(s) });
        },
      },
      {
        method: "DELETE",
        path: "/api/alerts/silence",
        control: true,
        handle: async (_req, res, url) => {
          const id = url.searchParams.get("id");
          if (!id) throw new HttpError(400, "id: expected the silence id (?id=...), got nothing");
          if (!(await this.engine.removeSilence(id)))
            throw new HttpError(404, `no silence with id ${JSON.stringify(id)}`);
          sendJson(res, 200, { removed: id });
        },
      },
    ];
  }

  metrics(): MetricFamily[] {
    const bySev = this.engine.firingBySeverity();
    return [
      {
        name: "edgewatch_alerts_firing",
        help: "Alerts firing now, by severity",
        type: "gauge",
        samples: (["info", "warning", "critical"] as const).map((s) => ({ labels: { severity: s }, value: bySev[s] })),
      },
    ];
  }
}

/** Module factory (src/agent/modules.ts). Always on: with no channels, alerts still show in the API. */
export function rulesModule(config: Config): AgentModule {
  return new RulesModule(config);
}
