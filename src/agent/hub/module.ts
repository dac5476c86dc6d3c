import { randomUUID } from "node:crypto";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../config/schema.ts";
import { flattenNumbers } from "../../lib/flatten.ts";
import { mkdirp, writeFileAtomic } from "../../protocol/atomic.ts";
import type { AgentContext, AgentModule, HealthVerdict, MetricFamily } from "../module.ts";
import { CommandRunner } from "./commands.ts";
import { type Batch, PushQueue } from "./queue.ts";
import { Thumbnails } from "./thumbnail.ts";

type HubSettings = NonNullable<Config["hub"]>;
const MAX_PENDING_EVENTS = 1000;
const SAVE_EVERY_MS = 60_000;

/**
 * Push to the fleet hub: every `hub.interval` one batch (status document, /metrics exposition, one
 * history sample, events and alert changes since the last batch) with a sequence number and this
 * process's boot id. The device dials out only. Unacknowledged batches wait in a bounded queue
 * (on disk only while the hub cannot be reached) and are sent oldest first once it answers again.
 */
export class HubModule implements AgentModule {
  readonly name = "hub";
  private ctx!: AgentContext;
  private queue!: PushQueue;
  private timer: NodeJS.Timeout | null = null;
  private selfUrl = "";
  private token: string | null = null;
  private readonly bootId = randomUUID();
  private seq = 0;
  private events: Batch["events"] = [];
  private alerts: Batch["alerts"] = [];
  private unsubs: (() => void)[] = [];
  private running: Promise<void> | null = null;
  private stopped = false;
  private savedAt = 0;
  private runner!: CommandRunner;
  private thumbs!: Thumbnails;
  readonly stats = { pushed: 0, failures: 0, lastSuccess: 0, lastError: "" };

  constructor(
    private readonly config: Config,
    private readonly hub: HubSettings,
  ) {}

  private get dir(): string {
    return join(this.config.state_dir, "hub");
  }

  async start(ctx: AgentContext): Promise<void> {
    this.ctx = ctx;
    this.runner = new CommandRunner(ctx, this.hub.commands);
    this.thumbs = new Thumbnails(this.config, this.hub, (msg) => ctx.log.warn(msg));
    await mkdirp(this.dir);
    this.queue = new PushQueue(this.dir, this.hub.queue_max_bytes);
    await this.queue.load();
    this.token =
      this.hub.token ??
      (await fsp.readFile(join(this.dir, "token"), "utf8").then(
        (t) => t.trim(),
        () => null,
      ));
    this.unsubs.push(
      ctx.state.on("event", (ev) => {
        this.events.push({
          t: Date.parse(ev.time) || Date.now(),
          level: ev.level,
          source: ev.source,
          message: ev.message,
        });
        if (this.events.length > MAX_PENDING_EVENTS) this.events.shift();
      }),
      ctx.state.on("alert", (a) => {
        this.alerts.push({ ...a });
        if (this.alerts.length > MAX_PENDING_EVENTS) this.alerts.shift();
      }),
    );
  }

  ready(url: string): void {
    this.selfUrl = url;
    this.arm(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const u of this.unsubs) u();
    await this.running;
    await this.queue?.save().catch(() => {});
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = null;
        this.arm(this.hub.interval);
      });
    }, ms);
  }

  private sample(): Batch["samples"] {
    const v: Record<string, number> = {};
    for (const [name, r] of this.ctx.state.collectors) if (r.ok) flattenNumbers(name, r.data, v);
    return Object.keys(v).length > 0 ? [{ t: Date.now(), v }] : [];
  }

  /** The status document plus the agent-owned disk and temperature fields the fleet page shows. */
  private status(): Record<string, unknown> {
    const data = (name: string) => (this.ctx.state.collectors.get(name)?.data ?? {}) as Record<string, unknown>;
    const disk = ((data("system").disks as Record<string, unknown>[] | undefined) ?? [])[0] ?? {};
    const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
    const ratio = n(disk.usage_ratio);
    return {
      ...this.ctx.state.document,
      disk_percent: ratio === null ? null : Math.round(ratio * 1000) / 10,
      disk_free_bytes: n(disk.free_bytes),
      cpu_temperature_celsius: n(data("thermal").cpu_temperature_celsius),
    };
  }

  private async exposition(): Promise<string | null> {
    try {
      const res = await fetch(`${this.selfUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
      return res.ok ? await res.text() : null;
    } catch {
      return null;
    }
  }

  async tick(): Promise<void> {
    this.queue.push({
      boot_id: this.bootId,
      seq: ++this.seq,
      sent_at: Date.now(),
      interval: this.hub.interval / 1000,
      samples: this.sample(),
      events: this.events.splice(0),
      alerts: this.alerts.splice(0),
      ...(this.runner.results.length > 0 ? { command_results: this.runner.results.splice(0) } : {}),
    });
    const status = this.status();
    const metrics = await this.exposition();
    const firing = [...this.ctx.state.alerts.values()].filter((a) => a.state === "firing");
    const thumbnail = await this.thumbs.due(Date.now());
    try {
      for (const b of [...this.queue.batches]) {
        const last = b === this.queue.batches.at(-1);
        const extra = last ? { status, metrics, firing, ...(thumbnail ? { thumbnail } : {}) } : {};
        const ok = await this.send({ ...b, sent_at: Date.now(), ...extra });
        if (!ok) break;
        this.queue.ack(b);
        if (last && thumbnail) this.thumbs.sent();
      }
    } finally {
      // While the hub is unreachable the queue is written at most once a minute (and at stop): an SD
      // card is not rewritten every interval; a crash loses at most that minute of queued samples.
      const now = Date.now();
      if (this.queue.batches.length === 0 || now - this.savedAt >= SAVE_EVERY_MS) {
        this.savedAt = now;
        await this.queue
          .save()
          .catch((err: Error) => this.ctx.log.warn("hub: cannot write the push queue", { error: err.message }));
      }
    }
  }

  /** One batch; true once the hub acknowledged it (200, or 409: already acknowledged earlier). */
  private async send(body: Record<string, unknown>): Promise<boolean> {
    if (!this.token && !(await this.enroll())) return false;
    let res: Response;
    try {
      res = await fetch(new URL("/api/v1/push", this.hub.url), {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.hub.timeout),
      });
    } catch (err) {
      return this.fail(`cannot reach the hub: ${(err as Error).cause ?? (err as Error).message}`);
    }
    const text = await res.text().catch(() => "");
    if (res.status === 200 || res.status === 409) {
      this.stats.pushed++;
      this.stats.lastSuccess = Date.now();
      this.stats.lastError = "";
      if (res.status === 200) this.commands(text);
      return true;
    }
    if (res.status === 401 && this.hub.enroll_key && !this.hub.token) {
      this.token = null; // removed from the hub: enroll again on the next push
      await fsp.rm(join(this.dir, "token"), { force: true });
    }
    if (res.status === 400 || res.status === 413) {
      this.ctx.log.error("hub refused a batch; dropped", { status: res.status, answer: text.slice(0, 300) });
      return true; // it would be refused the same way again
    }
    return this.fail(`hub answered ${res.status}: ${text.slice(0, 200)}`);
  }

  private commands(text: string): void {
    let answer: { commands?: unknown };
    try {
      answer = JSON.parse(text) as { commands?: unknown };
    } catch {
      return;
    }
    this.runner.take(answer.commands);
  }

  private fail(msg: string): false {
    this.stats.failures++;
    if (msg !== this.stats.lastError)
      this.ctx.log.warn(`hub: ${msg}; batches stay queued`, { queued: this.queue.batches.length });
    this.stats.lastError = msg;
    return false;
  }

  private async enroll(): Promise<boolean> {
    if (!this.hub.enroll_key) return this.fail("no device token and no enroll_key");
    let res: Response;
    try {
      res = await fetch(new URL("/api/v1/enroll", this.hub.url), {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.hub.enroll_key}` },
        body: JSON.stringify({
          id: this.config.device.id,
          site: this.config.device.site,
          tags: this.config.device.tags,
          interval: this.hub.interval / 1000,
        }),
        signal: AbortSignal.timeout(this.hub.timeout),
      });
    } catch (err) {
      return this.fail(`cannot reach the hub to enroll: ${(err as Error).cause ?? (err as Error).message}`);
    }
    const text = await res.text().catch(() => "");
    if (res.status !== 201) return this.fail(`enrollment refused (${res.status}): ${text.slice(0, 200)}`);
    const token = (JSON.parse(text) as { token?: string }).token;
    if (!token) return this.fail("enrollment answer has no token");
    await writeFileAtomic(join(this.dir, "token"), `${token}\n`, true);
    await fsp.chmod(join(this.dir, "token"), 0o600);
    this.token = token;
    this.ctx.log.info("hub: enrolled", { device: this.config.device.id, hub: this.hub.url });
    return true;
  }

  health(): HealthVerdict {
    const stale = this.stats.lastError !== "" && this.queue.batches.length > 0;
    return stale
      ? { ok: false, detail: `hub unreachable, ${this.queue.batches.length} batches queued: ${this.stats.lastError}` }
      : { ok: true };
  }

  metrics(): MetricFamily[] {
    return [
      {
        name: "edgewatch_hub_push_queue_batches",
        help: "Pushes waiting for the hub's acknowledgement",
        type: "gauge",
        samples: [{ value: this.queue.batches.length }],
      },
      {
        name: "edgewatch_hub_push_queue_bytes",
        help: "Size of the push queue",
        type: "gauge",
        samples: [{ value: this.queue.bytes }],
      },
      {
        name: "edgewatch_hub_push_dropped_samples_total",
        help: "History samples dropped to keep the push queue within its byte budget",
        type: "counter",
        samples: [{ value: this.queue.droppedSamples }],
      },
      {
        name: "edgewatch_hub_pushes_total",
        help: "Pushes the hub acknowledged",
        type: "counter",
        samples: [{ value: this.stats.pushed }],
      },
    ];
  }
}

export function hubModule(config: Config): AgentModule | null {
  return config.hub ? new HubModule(config, config.hub) : null;
}
