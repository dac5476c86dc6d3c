import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config/schema.ts";
import { createHttpServer } from "../http/server.ts";
import { flattenNumbers } from "../lib/flatten.ts";
import type { SdNotifyStatus } from "../lib/sdnotify.ts";
import type { DeviceEvent } from "../protocol/events.ts";
import { layout } from "../protocol/paths.ts";
import { StatusReader } from "../protocol/reader.ts";
import { buildDocument } from "./core/document.ts";
import { coreModule } from "./core/routes.ts";
import { type AgentRuntime, ERROR_WINDOW_MS, MAX_ERRORS, MAX_WARNINGS, pruneErrors } from "./core/runtime.ts";
import { HistoryStore } from "./history/ring.ts";
import { redactingLogger } from "./log.ts";
import { collectFamilies } from "./metrics/families.ts";
import type { AgentContext, AgentModule, Logger } from "./module.ts";
import { moduleFactories } from "./modules.ts";
import { DeviceState } from "./state.ts";

export const AGENT_VERSION = "0.1.0";
/** Ids of events whose hand-off failed, remembered so a retry does not count them twice (bounded). */
const MAX_RETRIED_IDS = 1000;

export interface AgentOptions {
  configPath?: string;
  log?: Logger;
  /** Override http.port / http.bind (tests listen on port 0). */
  port?: number;
  host?: string;
  /** Module factories to start (default: every registered one). */
  factories?: typeof moduleFactories;
  /** What the process tells systemd (the kernel's sd_notify), for the modules that report it. */
  sdNotify?: () => SdNotifyStatus | null;
}

export interface RunningAgent {
  /** Base URL of the HTTP server, e.g. http://127.0.0.1:8080 */
  url: string;
  state: DeviceState;
  runtime: AgentRuntime;
  stop(): Promise<void>;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

/** One JSON line per message on stderr (journald keeps it); debug only with EDGEWATCH_DEBUG=1. */
export function stderrLogger(min: keyof typeof LEVELS = process.env.EDGEWATCH_DEBUG ? "debug" : "info"): Logger {
  const write = (level: keyof typeof LEVELS) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < LEVELS[min]) return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

/**
 * Start the device agent: the status reader (inotify), every registered module, the sample history
 * and the HTTP server. Nothing here polls: the reader wakes on file changes, collectors on their own
 * timers, the history flush on a timer armed only while unsaved samples exist.
 */
export async function startAgent(config: Config, opts: AgentOptions = {}): Promise<RunningAgent> {
  const log = redactingLogger(opts.log ?? stderrLogger());
  const state = new DeviceState();
  let docQueued = false;
  let refreshDoc = () => {};
  // Events already counted in errors[] whose hand-off failed: the reader retries them with the same
  // id, and a retry must not append the same error again.
  const recorded = new Set<string>();

  const reader = new StatusReader({
    dir: config.status_dir,
    ...(config.legacy_status_file ? { legacyStatusFile: config.legacy_status_file } : {}),
    onEvent: async (ev: DeviceEvent, id: string) => {
      if ((ev.level === "error" || ev.level === "critical") && !recorded.has(id)) {
        rt.errors.push({
          time: ev.time,
          level: ev.level,
          source: ev.source,
          message: ev.message,
          ...(ev.code ? { code: ev.code } : {}),
        });
        if (rt.errors.length > MAX_ERRORS) rt.errors.splice(0, rt.errors.length - MAX_ERRORS);
        pruneErrors(rt);
        armErrorExpiry();
        refreshDoc();
      }
      recorded.add(id);
      if (recorded.size > MAX_RETRIED_IDS) recorded.delete(recorded.values().next().value as string);
      await state.publishEvent(ev);
      recorded.delete(id); // handed on: its file is removed, it never comes again
    },
    onWarning: (w) => {
      rt.warningsTotal++;
      rt.warnings.push({ time: new Date().toISOString(), source: w.source, reason: w.reason });
      if (rt.warnings.length > MAX_WARNINGS) rt.warnings.splice(0, rt.warnings.length - MAX_WARNINGS);
      if (/watch failed/.test(w.reason)) rt.readerFailure = `${w.source}: ${w.reason}`;
      log.warn("status reader", { source: w.source, reason: w.reason });
      refreshDoc();
    },
    onChange: () => refreshDoc(),
    drainAtStart: false, // drained once HTTP answers and READY=1 is sent (below)
  });

  const history = new HistoryStore({
    file: config.history.file ?? join(config.state_dir, "history.json"),
    maxSamples: config.history.max_samples,
    intervalMs: config.history.interval,
    flushMs: config.history.flush_interval,
    onWarning: (msg) => log.warn(msg),
  });

  const rt: AgentRuntime = {
    config,
    ...(opts.configPath ? { configPath: opts.configPath } : {}),
    state,
    reader,
    log,
    version: AGENT_VERSION,
    modules: [],
    moduleFailures: new Map(),
    warnings: [],
    warningsTotal: 0,
    errors: [],
    readerFailure: null,
    statusDirIno: null,
    history,
    http: null,
  };

  // Coalesce bursts of fragment changes and warnings into one document update per tick.
  refreshDoc = () => {
    if (docQueued) return;
    docQueued = true;
    setImmediate(() => {
      docQueued = false;
      let doc: ReturnType<typeof buildDocument>;
      try {
        doc = buildDocument(rt);
      } catch (err) {
        log.error("status document could not be built; keeping the last one", { error: (err as Error).message });
        return;
      }
      state.setDocument(doc).catch((err: Error) => log.warn("status subscriber failed", { error: err.message }));
    });
  };

  // An error leaves /status when it is an hour old: one deadline timer for the oldest, so reading
  // /status never has to change the document (a GET never writes state).
  let errorExpiry: NodeJS.Timeout | null = null;
  const armErrorExpiry = (): void => {
    if (errorExpiry) clearTimeout(errorExpiry);
    errorExpiry = null;
    const oldest = rt.errors[0];
    if (!oldest) return;
    const ms = Date.parse(oldest.time) + ERROR_WINDOW_MS - Date.now() + 1;
    errorExpiry = setTimeout(
      () => {
        errorExpiry = null;
        if (pruneErrors(rt)) refreshDoc();
        armErrorExpiry();
      },
      Math.max(0, Math.min(Number.isFinite(ms) ? ms : 0, 2_147_483_647)),
    );
    errorExpiry.unref();
  };

  await history.load();
  const sampleHistory = () => {
    if (state.quiet) return; // nothing extra while the device encodes
    const v: Record<string, number> = {};
    for (const [name, r] of state.collectors) if (r.ok) flattenNumbers(name, r.data, v);
    const today = state.document.today as Record<string, unknown> | undefined;
    if (typeof today?.photos_captured === "number") v.photos_captured = today.photos_captured;
    history.offer(v);
  };
  state.on("sample", sampleHistory);
  state.on("status", sampleHistory);

  const ctx: AgentContext = {
    config,
    ...(opts.configPath ? { configPath: opts.configPath } : {}),
    ...(opts.sdNotify ? { sdNotify: opts.sdNotify } : {}),
    state,
    reader,
    log,
    metricFamilies: () => collectFamilies(rt),
    modules: () => rt.modules,
  };
  const candidates: AgentModule[] = [coreModule(rt)];
  for (const factory of opts.factories ?? moduleFactories) {
    try {
      const m = factory(config);
      if (m) candidates.push(m);
    } catch (err) {
      rt.moduleFailures.set(factory.name || "module", (err as Error).message);
      log.error("module factory failed", { factory: factory.name, error: (err as Error).message });
    }
  }
  for (const m of candidates) {
    try {
      await m.start(ctx);
      rt.modules.push(m);
    } catch (err) {
      rt.moduleFailures.set(m.name, (err as Error).message);
      log.error("module failed to start; the agent runs without it", { module: m.name, error: (err as Error).message });
    }
  }

  // Modules are subscribed before the reader starts, so no event is handed on before they listen.
  try {
    await reader.start();
    rt.statusDirIno = (await stat(layout(config.status_dir).fragments)).ino;
  } catch (err) {
    await stopAll(); // modules' timers would otherwise keep a failed process alive
    throw err;
  }
  await state.setDocument(buildDocument(rt));

  const routes = rt.modules.flatMap((m) => {
    try {
      return m.routes?.() ?? [];
    } catch (err) {
      log.error("module routes failed", { module: m.name, error: (err as Error).message });
      return [];
    }
  });
  const http = createHttpServer({ http: config.http, routes, log });
  rt.http = http;
  let url: string;
  try {
    url = await http.listen(opts.port ?? config.http.port, opts.host ?? config.http.bind);
  } catch (err) {
    await stopAll();
    throw err;
  }
  log.info("agent listening", { url, device: config.device.id, modules: rt.modules.map((m) => m.name) });
  for (const m of rt.modules) {
    try {
      await m.ready?.(url);
    } catch (err) {
      log.error(`module ${m.name}: ready hook failed: ${(err as Error).message}`);
    }
  }
  // Events queued while the agent was down: handed on in the background, in batches, now that the
  // agent serves and has said it is ready (a backlog of thousands must not hold up either).
  void reader.drainEvents();

  async function stopAll(): Promise<void> {
    if (errorExpiry) clearTimeout(errorExpiry);
    reader.stop();
    for (const m of [...rt.modules].reverse()) {
      try {
        await m.stop?.();
      } catch (err) {
        log.warn("module stop failed", { module: m.name, error: (err as Error).message });
      }
    }
    await history.stop();
  }

  let stopping: Promise<void> | null = null;
  return {
    url,
    state,
    runtime: rt,
    stop() {
      stopping ??= (async () => {
        await http.close();
        await stopAll();
      })();
      return stopping;
    },
  };
}
