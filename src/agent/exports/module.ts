import { join } from "node:path";
import { request } from "../../lib/http-request.ts";
import type { Config } from "../config.ts";
import type { AgentContext, AgentModule, HealthVerdict, MetricFamily } from "../module.ts";
import { exportTypes } from "./index.ts";
import type { ControlRunner, Export } from "./types.ts";

/** Control actions buttons may run, and the HTTP control route each one goes through. */
export const CONTROL_ROUTES: Record<string, string> = {
  camera_test: "/api/camera/test",
  camera_recover: "/api/camera/recover",
  restart_services: "/api/system/restart-services",
  reboot: "/api/system/reboot",
};

/** Configured instances of every export type, in list order. */
function configured(config: Config): { type: (typeof exportTypes)[number]; cfg: unknown }[] {
  const section = (config as unknown as { exports?: Record<string, unknown> }).exports ?? {};
  const out: { type: (typeof exportTypes)[number]; cfg: unknown }[] = [];
  for (const type of exportTypes) {
    const v = section[type.type];
    if (v === undefined || v === null) continue;
    for (const cfg of type.list ? (v as unknown[]) : [v]) out.push({ type, cfg });
  }
  return out;
}

/**
 * Pushes to remote_write, Loki, Alertmanager and MQTT (Home Assistant): each configured export runs on
 * its own, so one receiver being down never holds another back. Publishes `edgewatch_export_*`.
 */
export class ExportsModule implements AgentModule {
  readonly name = "exports";
  readonly exports: Export[] = [];
  private agentUrl: string | null = null;
  private readonly failedToStart: string[] = [];

  constructor(private readonly config: Config) {}

  async start(ctx: AgentContext): Promise<void> {
    const control: ControlRunner = (action, client) => this.runControl(action, client);
    for (const { type, cfg } of configured(this.config)) {
      let name = type.type;
      try {
        const exp = type.create(cfg as never, {
          ctx,
          dir: join(this.config.state_dir, "exports"),
          families: () => ctx.metricFamilies?.() ?? [],
          control,
        });
        name = exp.name;
        await exp.start();
        this.exports.push(exp);
      } catch (err) {
        // One export that cannot start (an unwritable state dir, say) costs only itself.
        this.failedToStart.push(`${name}: ${(err as Error).message}`);
        ctx.log.error(`export ${name} failed to start; the agent runs without it`, { error: (err as Error).message });
      }
    }
  }

  ready(url: string): void {
    this.agentUrl = url;
  }

  /** Run a control action through the agent's own HTTP control route: same checks, same audit log. */
  private async runControl(action: string, client: string): Promise<{ status: number; result: string }> {
    const path = CONTROL_ROUTES[action];
    if (!path || !this.agentUrl) return { status: 503, result: "not available" };
    const token = this.config.http.token;
    const a = await request(new URL(path, this.agentUrl).href, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": `edgewatch-exports (${client})`,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: "{}",
      timeoutMs: 120_000,
    });
    return { status: a.status, result: a.body.slice(0, 300) };
  }

  async stop(): Promise<void> {
    for (const e of [...this.exports].reverse()) await e.stop().catch(() => {});
  }

  /**
   * A receiver being unreachable is not the agent failing (restarting it would not help): failing
   * exports are named in the detail; only an export that could not start fails the verdict.
   */
  health(): HealthVerdict {
    if (this.failedToStart.length) return { ok: false, detail: `failed to start: ${this.failedToStart.join("; ")}` };
    const bad = this.exports.map((e) => e.health?.()).filter((h): h is HealthVerdict => !!h && !h.ok);
    return {
      ok: true,
      detail: bad.length
        ? `failing: ${bad.map((b) => b.detail).join("; ")}`
        : `${this.exports.length} export(s) delivering`,
    };
  }

  metrics(): MetricFamily[] {
    const by = (f: (e: Export) => number | null) =>
      this.exports.flatMap((e) => {
        const v = f(e);
        return v === null ? [] : [{ labels: { export: e.name, type: e.type }, value: v }];
      });
    return [
      {
        name: "edgewatch_export_sent_total",
        help: "Items delivered by each export (samples, log lines, alerts, MQTT messages)",
        type: "counter",
        samples: by((e) => e.stats.sent),
      },
      {
        name: "edgewatch_export_failed_total",
        help: "Send attempts that failed (each retry counts)",
        type: "counter",
        samples: by((e) => e.stats.failed),
      },
      {
        name: "edgewatch_export_dropped_total",
        help: "Items given up on: pushed out of a full queue, refused by the receiver (4xx), or stamped too far ahead",
        type: "counter",
        samples: by((e) => e.stats.dropped),
      },
      {
        name: "edgewatch_export_queued",
        help: "Items waiting: remote_write samplings (one per interval), Loki lines, Alertmanager alerts",
        type: "gauge",
        samples: by((e) => e.stats.queued()),
      },
      {
        name: "edgewatch_export_queued_bytes",
        help: "Bytes waiting in each export's queue (its byte budget bounds this)",
        type: "gauge",
        unit: "bytes",
        samples: by((e) => e.stats.queuedBytes()),
      },
      {
        name: "edgewatch_export_written_bytes_total",
        help: "Bytes each export wrote under the state dir (queue files and positions)",
        type: "counter",
        unit: "bytes",
        samples: by((e) => e.stats.bytesWritten()),
      },
      {
        name: "edgewatch_export_last_success_timestamp_seconds",
        help: "Unix time of each export's last accepted send",
        type: "gauge",
        unit: "seconds",
        samples: by((e) => (e.stats.lastSuccessMs === null ? null : e.stats.lastSuccessMs / 1000)),
      },
    ];
  }
}

/** Module factory (src/agent/modules.ts): on when any export is configured. */
export function exportsModule(config: Config): AgentModule | null {
  return configured(config).length > 0 ? new ExportsModule(config) : null;
}
