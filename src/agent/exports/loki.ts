import { promises as fsp } from "node:fs";
import { basename, join } from "node:path";
import { gzipSync } from "node:zlib";
import { z } from "zod";
import { duration, httpUrl } from "../../config/kit.ts";
import { writeFileAtomic } from "../../protocol/atomic.ts";
import type { DeviceEvent } from "../../protocol/events.ts";
import { LEVELS, levelRank } from "../../protocol/names.ts";
import { lineLevel } from "../files/index.ts";
import { authHeaders, authOptions, exportDir, postExport, queueOptions, USER_AGENT } from "./common.ts";
import { Follower, type Position } from "./follow.ts";
import { DiskQueue } from "./queue.ts";
import { Sender } from "./sender.ts";
import { defineExport, ExportStats } from "./types.ts";

/** Loki's default limits (max_line_size 256 KB, 15 labels per stream). */
export const LOKI_MAX_LINE = 256 * 1024;
const MAX_BATCH_BYTES = 1024 * 1024;

interface Entry {
  /** service label, level label, ns timestamp, line, structured metadata */
  s: string;
  v: string;
  t: string;
  l: string;
  m?: Record<string, string>;
}

function cut(line: string): string {
  if (Buffer.byteLength(line) <= LOKI_MAX_LINE) return line;
  return `${Buffer.from(line)
    .subarray(0, LOKI_MAX_LINE - 16)
    .toString("utf8")
    .replace(/\uFFFD$/, "")}…[truncated]`;
}

/** The push body: entries grouped into streams by their labels, in arrival order. */
export function lokiBody(entries: Entry[], base: Record<string, string>): string {
  const streams = new Map<string, { stream: Record<string, string>; values: unknown[] }>();
  for (const e of entries) {
    const key = `${e.s}\u0000${e.v}`;
    let st = streams.get(key);
    if (!st) {
      st = { stream: { ...base, service: e.s, level: e.v }, values: [] };
      streams.set(key, st);
    }
    st.values.push(e.m ? [e.t, e.l, e.m] : [e.t, e.l]);
  }
  return JSON.stringify({ streams: [...streams.values()] });
}

/**
 * Loki push (JSON, gzip): the agent's events and the log files it follows, labelled device, site,
 * service (event source or log name) and level; an event's code travels as structured metadata.
 */
export const loki = defineExport({
  type: "loki",
  list: false,
  schema: () =>
    z
      .strictObject({
        url: httpUrl().describe(
          "Loki's base URL, e.g. https://logs-prod-012.grafana.net or http://loki:3100 (the agent appends /loki/api/v1/push)",
        ),
        ...authOptions(),
        labels: z
          .record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string().min(1).max(2048))
          .default({})
          .refine((l) => Object.keys(l).length <= 11, {
            error: "expected at most 11 labels (Loki allows 15 per stream)",
          })
          .describe("Extra labels on every stream, besides device, site, service and level"),
        events: z
          .strictObject({
            enabled: z.boolean().default(true).describe("Push the events programs write (edgewatch event, emitEvent)"),
            min_level: z.enum(LEVELS).default("info").describe("Only events at this level and above"),
          })
          .prefault({})
          .describe("Events"),
        logs: z
          .array(z.string().min(1))
          .optional()
          .describe("Names of files.logs entries to follow and push (default: every one of them)"),
        batch_wait: duration().prefault("2s").describe("Lines are gathered this long before a push"),
        timeout: duration().prefault("30s").describe("Give up on one request after this long (then retry)"),
        queue: queueOptions(),
      })
      .describe("Push events and log files to Loki's /loki/api/v1/push (Grafana Cloud Logs, self-hosted Loki)"),
  create(cfg, deps) {
    const { ctx } = deps;
    const name = "loki";
    const dir = exportDir(deps.dir, name);
    const stats = new ExportStats();
    const queue = new DiskQueue({
      dir: join(dir, "queue"),
      maxBytes: cfg.queue.max_bytes,
      flushMs: cfg.queue.flush_interval,
      log: ctx.log,
    });
    const url = `${cfg.url.replace(/\/+$/, "")}/loki/api/v1/push`;
    const base = { ...cfg.labels, device: ctx.config.device.id, site: ctx.config.device.site };
    const headers = {
      ...authHeaders(cfg),
      "content-type": "application/json",
      "content-encoding": "gzip",
      "user-agent": USER_AGENT,
    };
    const positionsFile = join(dir, "positions.json");
    const followers = new Map<string, Follower>();
    let savedPositions = "";
    let positionsWritten = 0;
    let seq = 0;
    let batchTimer: NodeJS.Timeout | null = null;
    let flushTimer: NodeJS.Timeout | null = null;
    let unsub = () => {};

    const sender = new Sender({
      name,
      queue,
      stats,
      log: ctx.log,
      maxItems: 10_000,
      maxBytes: MAX_BATCH_BYTES,
      backoffInitialMs: cfg.queue.backoff_initial,
      backoffMaxMs: cfg.queue.backoff_max,
      send(items, signal) {
        const entries = items.map((b) => JSON.parse(Buffer.from(b).toString("utf8")) as Entry);
        const body = gzipSync(lokiBody(entries, base));
        return postExport(url, body, headers, cfg.timeout, signal);
      },
    });

    function stamp(ms: number): string {
      seq = (seq + 1) % 1_000_000;
      return (BigInt(Math.floor(ms)) * 1_000_000n + BigInt(seq)).toString();
    }

    function add(e: Entry): void {
      queue.push(Buffer.from(JSON.stringify(e)));
      batchTimer ??= setTimeout(() => {
        batchTimer = null;
        sender.kick();
      }, cfg.batch_wait);
    }

    function onEvent(ev: DeviceEvent): void {
      if (levelRank(ev.level) < levelRank(cfg.events.min_level)) return;
      const m: Record<string, string> = {};
      if (ev.code) m.code = ev.code;
      if (ev.fields) m.fields = JSON.stringify(ev.fields);
      const e: Entry = { s: ev.source, v: ev.level, t: stamp(Date.parse(ev.time) || Date.now()), l: cut(ev.message) };
      if (ev.code || ev.fields) e.m = m;
      add(e);
    }

    /** Positions are saved only after the queue holds every line read so far: nothing read is lost. */
    async function savePositions(): Promise<void> {
      await queue.flush();
      const pos: Record<string, Position> = {};
      for (const [n, f] of followers) pos[n] = f.position;
      const text = JSON.stringify(pos);
      if (text === savedPositions) return;
      try {
        await writeFileAtomic(positionsFile, text, true);
        savedPositions = text;
        positionsWritten += text.length;
      } catch (err) {
        ctx.log.warn(`export ${name}: cannot save log positions: ${(err as Error).message}`);
      }
    }

    return {
      name,
      type: "loki",
      stats: Object.assign(stats, {
        queued: () => queue.length,
        queuedBytes: () => queue.bytes,
        bytesWritten: () => queue.bytesWritten + positionsWritten,
      }),
      async start() {
        await queue.load();
        let saved: Record<string, Position> = {};
        try {
          saved = JSON.parse(await fsp.readFile(positionsFile, "utf8"));
          savedPositions = JSON.stringify(saved);
        } catch {}
        const wanted = cfg.logs ? new Set(cfg.logs) : null;
        for (const l of ctx.config.files.logs) {
          const logName = l.name ?? basename(l.path);
          if (wanted && !wanted.has(logName)) continue;
          const from = saved[logName];
          const f = new Follower({
            path: l.path,
            ...(from ? { from } : {}),
            maxLine: LOKI_MAX_LINE,
            log: ctx.log,
            onLine: (line) => {
              if (line === "") return;
              add({ s: logName, v: lineLevel(line, l.format) ?? "unknown", t: stamp(Date.now()), l: cut(line) });
            },
          });
          await f.start();
          followers.set(logName, f);
        }
        if (cfg.events.enabled) unsub = ctx.state.on("event", onEvent);
        let deferred = 0;
        const tick = () => {
          // Lines a push is about to carry would be written for nothing: while the receiver answers,
          // wait (a few times) for a moment with nothing queued, when the positions alone are saved.
          if (queue.length > 0 && !sender.backingOff && deferred < 5) {
            deferred++;
            flushTimer = setTimeout(tick, cfg.batch_wait + 1000);
            return;
          }
          deferred = 0;
          void savePositions().finally(() => {
            if (flushTimer) flushTimer = setTimeout(tick, cfg.queue.flush_interval);
          });
        };
        flushTimer = setTimeout(tick, cfg.queue.flush_interval);
        sender.kick();
      },
      async stop() {
        unsub();
        if (flushTimer) clearTimeout(flushTimer);
        flushTimer = null;
        if (batchTimer) clearTimeout(batchTimer);
        for (const f of followers.values()) await f.stop();
        sender.stop();
        await savePositions();
        await queue.close();
      },
      health() {
        return stats.failed > 0 && sender.backingOff
          ? { ok: false, detail: `${name}: ${stats.lastError ?? "failing"}; ${queue.length} lines queued` }
          : { ok: true, detail: `${name}: ${queue.length} lines queued` };
      },
    };
  },
});
