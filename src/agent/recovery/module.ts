import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import type { Config } from "../../config/schema.ts";
import { scrubDeep } from "../../config/secrets.ts";
import type { RecoveryConfig } from "../../config/sections/recovery.ts";
import { HttpError, Query, sendError, sendJson } from "../../http/respond.ts";
import type { JsonObject } from "../../protocol/json.ts";
import type { Level } from "../../protocol/names.ts";
import type {
  AgentContext,
  AgentModule,
  HealthVerdict,
  MetricFamily,
  RemoteCommand,
  RemoteResult,
  Route,
} from "../module.ts";
import type { AlertState } from "../state.ts";
import { type ActionResult, createAction, type RecoveryAction } from "./actions/index.ts";
import { rebootAction } from "./actions/reboot.ts";
import { type CleanupReport, type DeletionEntry, DiskSafeguard } from "./disk.ts";
import { EmergencyMode } from "./emergency.ts";
import { RebootGuard } from "./guard.ts";
import { JsonLinesLog } from "./log.ts";
import { createProbe } from "./probes.ts";
import { RefusalLog } from "./refusals.ts";
import { namedRestarts, REMOTE_ACTIONS } from "./remote.ts";
import { type LadderHost, type StepEntry, Watch } from "./watch.ts";

export interface AuditEntry {
  time: string;
  client: string;
  action: string;
  result: string;
  status: number;
  duration_ms?: number;
  detail?: string;
}

const EVENT_SOURCE = "recovery";
const REFUSAL_WINDOW_MS = 60_000;
const REBOOT_OVERDUE_MS = 5 * 60_000;
type ControlName = "camera_test" | "camera_recover" | "restart_services";

/**
 * Self-healing: the watches and their escalation ladders, the guarded reboot, the disk
 * safeguard and the control routes with their audit log.
 */
export class RecoveryModule implements AgentModule, LadderHost {
  readonly name = "recovery";
  readonly watches: Watch[] = [];
  graceEndsAt = 0;
  guard!: RebootGuard;
  log!: JsonLinesLog<StepEntry>;
  audit!: JsonLinesLog<AuditEntry>;
  /** Refused control requests, apart from `audit` (a flood of them never rotates an authorised line out). */
  refusals!: RefusalLog;
  disk: DiskSafeguard | null = null;
  emergency: EmergencyMode | null = null;
  private stopEmergency: (() => void) | null = null;
  private ctx!: AgentContext;
  private cfg!: RecoveryConfig;
  private rebootCmd!: RecoveryAction;
  private control = new Map<ControlName, RecoveryAction[]>();
  private readonly busy = new Set<string>();
  private rebooting = false;
  private started = false;
  private stopped = false;
  private readonly counters = new Map<string, { labels: Record<string, string>; value: number }>();
  private readonly alertSince = new Map<string, string>();
  private deletedFiles = 0;
  private deletedBytes = 0;

  async start(ctx: AgentContext): Promise<void> {
    this.ctx = ctx;
    this.cfg = ctx.config.recovery;
    const dir = join(ctx.config.state_dir, "recovery");
    this.log = new JsonLinesLog(this.cfg.log_file ?? join(dir, "recovery.log"));
    this.audit = new JsonLinesLog(join(dir, "audit.log"));
    this.refusals = new RefusalLog(join(dir, "audit-refused.log"), REFUSAL_WINDOW_MS, Date.now, (err) =>
      ctx.log.error(`recovery: cannot append to ${this.refusals.file.path}: ${err.message}`),
    );
    // An unwritable state dir must not cost the agent its control routes: warn and go on
    // (log lines then only reach the events and the in-memory tail; the guard fails safe).
    for (const l of [this.log, this.audit, this.refusals.file]) {
      await l.open().catch((err: Error) => ctx.log.error(`recovery: cannot open ${l.path}: ${err.message}`));
    }
    this.guard = new RebootGuard(join(dir, "reboots.json"), this.cfg.reboots_per_day);
    await this.guard.load();
    if (this.guard.problem) ctx.log.warn(`recovery: ${this.guard.problem}`);
    this.rebootCmd = rebootAction(this.cfg.reboot);
    if (this.cfg.camera_test) this.control.set("camera_test", [createAction(this.cfg.camera_test)]);
    if (this.cfg.camera_recover) this.control.set("camera_recover", [createAction(this.cfg.camera_recover)]);
    if (this.cfg.restart_services.length)
      this.control.set("restart_services", this.cfg.restart_services.map(createAction));
    // A grace that ended before the agent started is over at the start, never earlier (GET /api/recovery).
    this.graceEndsAt = Math.max((await bootTime()) + this.cfg.startup_grace, ctx.state.startedAt);
    const statusDir = process.env.EDGEWATCH_DIR || ctx.config.status_dir;
    for (const w of this.cfg.watches) this.watches.push(new Watch(w, createProbe(w, statusDir), this));
    for (const w of this.watches) await w.start();
    if (this.cfg.disk.paths.length) {
      this.disk = new DiskSafeguard(
        this.cfg.disk,
        this.cfg.disk.ledger ?? join(ctx.config.state_dir, "transfers", "verified.jsonl"),
        {
          deleted: (e, reason) => this.onDeleted(e, reason),
          finished: (r) => this.onCleanup(r),
          warn: (msg) => ctx.log.warn(msg),
        },
      );
      await this.disk.start();
    }
    if (this.cfg.emergency.enabled) {
      this.emergency = new EmergencyMode(this.cfg.emergency, ctx.state, this);
      this.stopEmergency = this.emergency.start();
    }
    this.started = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.watches) w.stop();
    this.disk?.stop();
    this.stopEmergency?.();
    await this.refusals?.flush();
  }

  // ---- LadderHost -------------------------------------------------------------------------

  async step(raw: StepEntry, level: Level): Promise<void> {
    const entry = scrubDeep(raw); // events become notifications: no secret of the config leaves in one
    try {
      await this.log.append(entry);
    } catch (err) {
      this.ctx.log.error(`recovery: cannot append to ${this.log.path}: ${(err as Error).message}`);
    }
    const { time, watch, step, reason, ...rest } = entry;
    this.ctx.log[level === "critical" ? "error" : level === "warning" ? "warn" : level === "error" ? "error" : "info"](
      `recovery: ${watch}: ${step}: ${reason}`,
    );
    try {
      await this.ctx.state.publishEvent({
        time,
        level,
        source: EVENT_SOURCE,
        message: `${watch}: ${step}: ${reason}`,
        code: `REC-${step.toUpperCase()}`,
        fields: JSON.parse(JSON.stringify({ watch, step, ...rest })) as JsonObject,
      });
    } catch (err) {
      this.ctx.log.warn(`recovery: an event subscriber failed: ${(err as Error).message}`);
    }
  }

  async alert(
    watch: string,
    state: "firing" | "resolved",
    severity: "warning" | "critical",
    summary: string,
    fields?: JsonObject,
  ): Promise<void> {
    const id = `recovery:${watch}`;
    if (state === "resolved" && !this.alertSince.has(id)) return;
    const since = this.alertSince.get(id) ?? new Date().toISOString();
    if (state === "firing") this.alertSince.set(id, since);
    else this.alertSince.delete(id);
    const a: AlertState = scrubDeep({
      id,
      rule: "recovery",
      severity,
      state,
      summary,
      since,
      fields: { watch, ...fields },
    } as AlertState);
    try {
      await this.ctx.state.setAlert(a);
    } catch (err) {
      this.ctx.log.warn(`recovery: an alert subscriber failed: ${(err as Error).message}`);
    }
  }

  countAction(watch: string, action: string, result: string): void {
    const key = `${watch}\0${action}\0${result}`;
    const c = this.counters.get(key) ?? { labels: { watch, action, result }, value: 0 };
    c.value++;
    this.counters.set(key, c);
  }

  warn(msg: string, fields?: Record<string, unknown>): void {
    this.ctx.log.warn(`recovery: ${msg}`, fields);
  }

  /** The guarded automatic reboot (last rung of a ladder). */
  async reboot(watch: string, reason: string): Promise<"rebooting" | "refused" | "failed"> {
    if (this.rebooting) return "rebooting";
    if (!this.guard.allowed()) {
      const why =
        this.guard.problem ??
        `${this.guard.count()} reboots in the last 24 h (limit reboots_per_day=${this.guard.limit})`;
      const summary = `${watch}: REBOOT REFUSED by the reboot guard (${why}); staying up. ${reason}`;
      await this.alert(watch, "firing", "critical", summary, { reboot_guard: why });
      await this.step({ time: now(), watch, step: "reboot_refused", reason: `${reason}; ${why}` }, "critical");
      return "refused";
    }
    try {
      await this.guard.record();
    } catch (err) {
      // Without a persisted count there is no guarantee against a reboot loop: stay up.
      const why = `cannot record the reboot in ${this.guard.path}: ${(err as Error).message}`;
      await this.alert(watch, "firing", "critical", `${watch}: REBOOT REFUSED (${why}); staying up. ${reason}`);
      await this.step({ time: now(), watch, step: "reboot_refused", reason: `${reason}; ${why}` }, "critical");
      return "refused";
    }
    this.rebooting = true;
    await this.alert(watch, "firing", "critical", `${watch}: rebooting: ${reason}`);
    await this.step(
      {
        time: now(),
        watch,
        step: "reboot",
        reason,
        reboots_last_24h: this.guard.count(),
        limit: this.guard.limit,
        action: this.rebootCmd.label,
      },
      "critical",
    );
    return (await this.runReboot(watch)) ? "rebooting" : "failed";
  }

  private async runReboot(watch: string): Promise<boolean> {
    await new Promise((r) => setTimeout(r, this.cfg.reboot_delay));
    await this.step(
      { time: now(), watch, step: "reboot_start", reason: `running ${this.rebootCmd.label}` },
      "critical",
    );
    const r = await this.rebootCmd.run();
    this.countAction(watch, "reboot_command", r.result);
    await this.step(
      {
        time: now(),
        watch,
        step: "reboot_result",
        reason: r.ok ? "reboot command accepted" : `reboot command ${r.result}: ${r.error}`,
        result: r.result,
        exit_code: r.exitCode,
      },
      r.ok ? "info" : "critical",
    );
    if (!r.ok) this.rebooting = false;
    else {
      // A reboot command that "worked" but left us running: say so loudly, and allow another try.
      setTimeout(() => {
        if (this.stopped || !this.rebooting) return;
        this.rebooting = false;
        const why = `the reboot command succeeded ${REBOOT_OVERDUE_MS / 60_000} min ago but the device is still up`;
        void this.alert(watch, "firing", "critical", `${watch}: ${why}`).then(() =>
          this.step({ time: now(), watch, step: "reboot_overdue", reason: why }, "critical"),
        );
      }, REBOOT_OVERDUE_MS).unref();
    }
    return r.ok;
  }

  // ---- disk safeguard -----------------------------------------------------------------------

  private async onDeleted(e: DeletionEntry, reason: string): Promise<void> {
    if (!e.dry_run) {
      this.deletedFiles++;
      this.deletedBytes += e.size;
    }
    await this.log.append({
      time: now(),
      watch: "disk",
      step: e.dry_run ? "disk_would_delete" : "disk_delete",
      reason,
      path: e.path,
      size: e.size,
      mtime: e.mtime,
    });
  }

  private async onCleanup(r: CleanupReport): Promise<void> {
    const before = r.before.map((u) => `${u.path} ${u.usedPercent.toFixed(1)} %`).join(", ");
    const after = r.after.map((u) => `${u.path} ${u.usedPercent.toFixed(1)} %`).join(", ");
    await this.step(
      {
        time: now(),
        watch: "disk",
        step: r.dry_run ? "disk_cleanup_dry_run" : "disk_cleanup",
        reason: `${before} used → ${after}; ${r.deleted.length} file(s), ${r.freed_bytes} bytes${r.dry_run ? " (dry run: nothing deleted)" : ""}`,
        skipped_unverified: r.skipped_unverified,
        skipped_newest: r.skipped_newest,
      },
      r.problem ? "critical" : "warning",
    );
    if (r.problem) await this.alert("disk", "firing", "critical", `disk safeguard: ${r.problem}`);
    else await this.alert("disk", "resolved", "critical", "disk safeguard: usage below target");
  }

  // ---- commands relayed by the fleet hub -------------------------------------------------------

  /** test_camera, restart_service (a unit or watch the config names) and the guarded reboot; audited. */
  command(c: RemoteCommand): Promise<RemoteResult> | null {
    return REMOTE_ACTIONS.has(c.action) ? this.remote(c) : null;
  }

  private async remote(c: RemoteCommand): Promise<RemoteResult> {
    const client = `hub (command ${c.id})`;
    const started = Date.now();
    let r: RemoteResult;
    if (c.refuse) {
      r = { ok: false, output: `refused: ${c.refuse}` };
    } else if (c.action === "reboot") {
      const got = await this.reboot("hub", `reboot requested through the hub (command ${c.id})`);
      r = {
        ok: got === "rebooting",
        output: got === "rebooting" ? "rebooting" : `reboot ${got} (see the recovery log)`,
      };
    } else {
      let actions: RecoveryAction[] | undefined;
      let why = "";
      if (c.action === "test_camera") {
        actions = this.control.get("camera_test");
        why = "camera_test is not configured: set recovery.camera_test in the config";
      } else {
        const allowed = namedRestarts(this.cfg);
        const spec = allowed.get(String(c.args.unit ?? ""));
        actions = spec ? [createAction(spec)] : undefined;
        why = `${JSON.stringify(c.args.unit)} is not a unit or watch this device's config names (allowed: ${[...allowed.keys()].join(", ") || "none"})`;
      }
      if (!actions) r = { ok: false, output: why };
      else if (this.busy.has(c.action)) r = { ok: false, output: `${c.action} is already running` };
      else {
        this.busy.add(c.action);
        const out: string[] = [];
        let ok = true;
        try {
          for (const a of actions) {
            const res = await a.run();
            this.countAction("hub", c.action, res.result);
            out.push(
              `${res.action}: ${res.result}${res.error ? ` (${res.error})` : ""}${res.output ? `\n${res.output.slice(-1000)}` : ""}`,
            );
            if (!res.ok) {
              ok = false;
              break;
            }
          }
        } finally {
          this.busy.delete(c.action);
        }
        r = { ok, output: out.join("\n") };
      }
    }
    await this.auditLine({
      time: now(),
      client,
      action: `hub_${c.action}`,
      result: r.ok ? "ok" : "failed",
      status: r.ok ? 200 : 502,
      duration_ms: Date.now() - started,
      detail: `${JSON.stringify(c.args)}: ${r.output}`.slice(0, 2000),
    });
    if (c.action !== "reboot" || c.refuse)
      await this.step(
        {
          time: now(),
          watch: "control",
          step: c.action,
          reason: `requested through the hub: ${r.ok ? "ok" : r.output.slice(0, 300)}`,
        },
        r.ok ? "info" : "error",
      );
    return r;
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  routes(): Route[] {
    return [
      {
        method: "POST",
        path: "/api/camera/test",
        control: true,
        handle: (req, res) => this.runControl("camera_test", req, res),
        onRejected: (req, status, message) => this.auditRejected("camera_test", req, status, message),
      },
      {
        method: "POST",
        path: "/api/camera/recover",
        control: true,
        handle: (req, res) => this.runControl("camera_recover", req, res),
        onRejected: (req, status, message) => this.auditRejected("camera_recover", req, status, message),
      },
      {
        method: "POST",
        path: "/api/system/restart-services",
        control: true,
        handle: (req, res) => this.runControl("restart_services", req, res),
        onRejected: (req, status, message) => this.auditRejected("restart_services", req, status, message),
      },
      {
        method: "POST",
        path: "/api/system/reboot",
        control: true,
        handle: (req, res) => this.rebootRoute(req, res),
        onRejected: (req, status, message) => this.auditRejected("reboot", req, status, message),
      },
      { method: "GET", path: "/api/recovery", handle: (_req, res, url) => this.recoveryRoute(res, url) },
    ];
  }

  /**
   * A refused control request (no/wrong token, control disabled, rate limited) is audited too, in its
   * own log and aggregated per client, action and result (see RefusalLog).
   */
  private auditRejected(action: string, req: IncomingMessage, status: number, message: string): Promise<void> {
    const result = status === 429 ? "rate_limited" : status === 403 ? "control_disabled" : "unauthorized";
    return this.refusals.record({
      client: req.socket.remoteAddress ?? "unknown",
      action,
      result,
      status,
      detail: message,
    });
  }

  private async auditLine(entry: AuditEntry): Promise<void> {
    try {
      await this.audit.append(entry);
    } catch (err) {
      this.ctx.log.error(`recovery: cannot append to audit log ${this.audit.path}: ${(err as Error).message}`);
    }
  }

  private async runControl(name: ControlName, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const client = req.socket.remoteAddress ?? "unknown";
    const started = Date.now();
    const actions = this.control.get(name);
    if (!actions) {
      const msg = `${name} is not configured: set recovery.${name} in the config`;
      await this.auditLine({ time: now(), client, action: name, result: "not_configured", status: 501, detail: msg });
      sendError(res, 501, msg);
      return;
    }
    if (this.busy.has(name)) {
      const msg = `${name} is already running; try again when it has finished`;
      await this.auditLine({ time: now(), client, action: name, result: "busy", status: 409, detail: msg });
      sendError(res, 409, msg);
      return;
    }
    this.busy.add(name);
    const results: ActionResult[] = [];
    try {
      for (const a of actions) {
        const r = await a.run();
        results.push(r);
        this.countAction("control", name, r.result);
        if (!r.ok) break;
      }
    } finally {
      this.busy.delete(name);
    }
    const failed = results.find((r) => !r.ok);
    const result = failed ? failed.result : "ok";
    const status = !failed ? 200 : failed.result === "timeout" ? 504 : 502;
    const detail = failed ? `${failed.action}: ${failed.error}` : results.map((r) => r.action).join("; ");
    await this.auditLine({
      time: now(),
      client,
      action: name,
      result,
      status,
      duration_ms: Date.now() - started,
      detail,
    });
    await this.step(
      {
        time: now(),
        watch: "control",
        step: name,
        reason: `requested by ${client}: ${result}${failed ? ` (${failed.error})` : ""}`,
      },
      failed ? "error" : "info",
    );
    sendJson(res, status, {
      action: name,
      ok: !failed,
      result,
      ...(failed ? { error: detail } : {}),
      steps: results.map((r) => ({
        action: r.action,
        result: r.result,
        exit_code: r.exitCode,
        signal: r.signal,
        timed_out: r.timedOut,
        duration_ms: r.durationMs,
        output: r.output.slice(-2000),
        ...(r.error ? { error: r.error } : {}),
      })),
    });
  }

  private async rebootRoute(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const client = req.socket.remoteAddress ?? "unknown";
    if (this.rebooting) {
      await this.auditLine({
        time: now(),
        client,
        action: "reboot",
        result: "busy",
        status: 409,
        detail: "a reboot is already under way",
      });
      sendError(res, 409, "a reboot is already under way");
      return;
    }
    this.rebooting = true;
    // A reboot asked for by the owner is counted by the guard (so automatic reboots see it) but not refused.
    await this.guard
      .record()
      .catch((err: Error) => this.ctx.log.warn(`recovery: cannot record the reboot: ${err.message}`));
    await this.auditLine({
      time: now(),
      client,
      action: "reboot",
      result: "accepted",
      status: 202,
      detail: `rebooting in ${this.cfg.reboot_delay} ms`,
    });
    await this.step(
      {
        time: now(),
        watch: "control",
        step: "reboot",
        reason: `requested by ${client} via POST /api/system/reboot`,
        action: this.rebootCmd.label,
      },
      "critical",
    );
    this.countAction("control", "reboot", "accepted");
    res.once("finish", () => {
      void this.step(
        { time: now(), watch: "control", step: "reboot_answered", reason: "HTTP answer sent; reboot follows" },
        "info",
      ).then(() => this.runReboot("control"));
    });
    sendJson(res, 202, { action: "reboot", ok: true, result: "accepted", reboot_in_ms: this.cfg.reboot_delay });
  }

  private recoveryRoute(res: ServerResponse, url: URL): void {
    let lines: number;
    try {
      lines = new Query(url.searchParams).int("lines", { min: 1, max: 100, default: 50 });
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      sendError(res, err.status, err.message);
      return;
    }
    sendJson(res, 200, this.snapshot(lines));
  }

  snapshot(lines = 50): JsonObject {
    return JSON.parse(
      JSON.stringify({
        grace_until: new Date(this.graceEndsAt).toISOString(),
        watches: this.watches.map((w) => w.snapshot()),
        reboot_guard: {
          reboots_last_24h: this.guard.count(),
          limit: this.guard.limit,
          allowed: this.guard.allowed(),
          problem: this.guard.problem,
          rebooting: this.rebooting,
        },
        control: {
          camera_test: this.control.has("camera_test"),
          camera_recover: this.control.has("camera_recover"),
          restart_services: this.control.has("restart_services"),
          reboot: this.rebootCmd.label,
        },
        disk: this.disk?.status() ?? null,
        emergency: this.emergency?.snapshot() ?? { enabled: false },
        sd_notify: this.ctx.sdNotify?.() ?? null,
        log: this.log.tail(lines),
        audit: this.audit.tail(lines),
        refused: { total: this.refusals.total, log: this.refusals.tail(lines) },
      }),
    ) as JsonObject;
  }

  metrics(): MetricFamily[] {
    return [
      {
        name: "edgewatch_recovery_actions_total",
        help: "Recovery actions run, by watch (or control/disk), action and result",
        type: "counter",
        samples: [...this.counters.values()].map((c) => ({ labels: c.labels, value: c.value })),
      },
      {
        name: "edgewatch_watch_healthy",
        help: "1 while the watched program is healthy (fresh heartbeat / running), else 0",
        type: "gauge",
        samples: this.watches.map((w) => ({ labels: { watch: w.name }, value: w.healthy ? 1 : 0 })),
      },
      {
        name: "edgewatch_reboots_today",
        help: "Reboots in the last 24 h as counted by the reboot guard",
        type: "gauge",
        samples: [{ value: this.guard?.count() ?? 0 }],
      },
      {
        name: "edgewatch_disk_safeguard_deleted_files_total",
        help: "Files deleted by the disk safeguard",
        type: "counter",
        samples: [{ value: this.deletedFiles }],
      },
      {
        name: "edgewatch_disk_safeguard_deleted_bytes_total",
        help: "Bytes freed by the disk safeguard",
        type: "counter",
        unit: "bytes",
        samples: [{ value: this.deletedBytes }],
      },
    ];
  }

  health(): HealthVerdict {
    if (!this.started || this.stopped) return { ok: false, detail: "recovery module not running" };
    const bad = this.watches.filter((w) => !w.healthy).map((w) => `${w.name} ${w.phase}`);
    return {
      ok: true,
      detail: `${this.watches.length} watch(es)${bad.length ? `; not healthy: ${bad.join(", ")}` : ", all healthy"}`,
    };
  }
}

const now = () => new Date().toISOString();

/** When the system booted (from /proc/uptime); the agent's own start when that cannot be read. */
async function bootTime(): Promise<number> {
  try {
    const up = Number.parseFloat(await readFile("/proc/uptime", "utf8"));
    if (Number.isFinite(up)) return Date.now() - up * 1000;
  } catch {
    // not Linux
  }
  return Date.now();
}

/** Registered in src/agent/modules.ts. */
export function recoveryModule(config: Config): AgentModule | null {
  return config.recovery.enabled ? new RecoveryModule() : null;
}
