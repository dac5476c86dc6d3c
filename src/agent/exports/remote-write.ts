import { z } from "zod";
import { duration, httpUrl } from "../../config/kit.ts";
import { request } from "../../lib/http-request.ts";
import { snappyCompress, snappyUncompress } from "../../lib/snappy.ts";
import type { SendResult } from "../../notify/types.ts";
import { authHeaders, authOptions, exportDir, exportName, postExport, queueOptions, USER_AGENT } from "./common.ts";
import { encodeWriteRequest, familiesToSeries } from "./prom-series.ts";
import { DiskQueue } from "./queue.ts";
import { Sender } from "./sender.ts";
import { defineExport, ExportStats } from "./types.ts";

/** Samples stamped further than this ahead of the receiver's clock are dropped, never sent. */
export const MAX_AHEAD_MS = 5 * 60_000;
/** When our clock and the receiver's differ by more than this, samples are stamped with the receiver's time. */
const RESTAMP_AFTER_MS = 60_000;
const HEADER = 12; // float64 timestamp + uint32 sample count, before the snappy block

/**
 * Prometheus remote_write 1.0: every `interval` the agent's own series (what /metrics shows) become one
 * queued record; records go out in order, several per request, protobuf + snappy.
 */
export const remoteWrite = defineExport({
  type: "remote_write",
  list: true,
  schema: () =>
    z
      .strictObject({
        name: z
          .string()
          .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: "expected a short name of letters, digits, _ . -" })
          .optional()
          .describe("Name in metrics and logs (default: the URL's host)"),
        url: httpUrl().describe(
          "The full write endpoint, e.g. https://prometheus-prod-01-eu-west-0.grafana.net/api/prom/push, http://victoria:8428/api/v1/write",
        ),
        interval: duration().prefault("60s").describe("How often the agent's series are sampled and queued"),
        timeout: duration().prefault("30s").describe("Give up on one request after this long (then retry)"),
        ...authOptions(),
        external_labels: z
          .record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string())
          .default({})
          .describe("Labels added to every series that does not have them already"),
        max_samples_per_send: z.number().int().min(100).default(2000).describe("Upper bound of samples in one request"),
        queue: queueOptions(),
      })
      .describe(
        "Prometheus remote_write 1.0 receivers (Prometheus, VictoriaMetrics, Mimir, Grafana Cloud): the agent's own series, queued through outages",
      ),
  create(cfg, deps) {
    const { ctx } = deps;
    const name = exportName("remote_write", cfg.name, cfg.url);
    const stats = new ExportStats();
    const queue = new DiskQueue({
      dir: exportDir(deps.dir, name),
      maxBytes: cfg.queue.max_bytes,
      flushMs: cfg.queue.flush_interval,
      log: ctx.log,
      onDrop: (d) => {
        stats.dropped += Buffer.from(d.buffer, d.byteOffset, d.length).readUInt32LE(8);
      },
    });
    const base = { device: ctx.config.device.id, site: ctx.config.device.site };
    const headers = {
      ...authHeaders(cfg),
      "content-type": "application/x-protobuf",
      "content-encoding": "snappy",
      "user-agent": USER_AGENT,
      "x-prometheus-remote-write-version": "0.1.0",
    };
    /** Receiver clock minus ours (ms), from its last Date header; null until known. */
    let offset: number | null = null;
    let aheadWarned = false;
    let timer: NodeJS.Timeout | null = null;

    const learnClock = (date: string | undefined, sentAt: number) => {
      const d = Date.parse(date ?? "");
      // Date has one-second resolution: measure against the request's midpoint.
      if (!Number.isNaN(d)) offset = d + 500 - (sentAt + Date.now()) / 2;
    };

    async function probeClock(signal: AbortSignal): Promise<SendResult | null> {
      const at = Date.now();
      try {
        const a = await request(cfg.url, { method: "HEAD", headers: authHeaders(cfg), timeoutMs: cfg.timeout, signal });
        learnClock(a.headers.date, at);
        return null;
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return { ok: false, permanent: false, reason: `cannot reach ${new URL(cfg.url).host}: ${e.code ?? e.message}` };
      }
    }

    const sender = new Sender({
      name,
      queue,
      stats,
      log: ctx.log,
      maxItems: 1000,
      maxBytes: 1024 * 1024,
      backoffInitialMs: cfg.queue.backoff_initial,
      backoffMaxMs: cfg.queue.backoff_max,
      async send(items, signal) {
        if (offset === null) {
          const failed = await probeClock(signal);
          if (failed) return failed;
        }
        const receiverNow = Date.now() + (offset ?? 0);
        const parts: Uint8Array[] = [];
        let samples = 0;
        let ahead = 0;
        for (const it of items) {
          const view = Buffer.from(it.buffer, it.byteOffset, it.length);
          const n = view.readUInt32LE(8);
          if (view.readDoubleLE(0) > receiverNow + MAX_AHEAD_MS) {
            ahead += n;
            continue;
          }
          parts.push(snappyUncompress(it.subarray(HEADER)));
          samples += n;
        }
        if (ahead > 0) {
          stats.dropped += ahead;
          if (!aheadWarned)
            ctx.log.warn(
              `export ${name}: dropped ${ahead} samples stamped over ${MAX_AHEAD_MS / 60000} min ahead of the receiver's clock (this device's clock was wrong when they were taken)`,
            );
          aheadWarned = true;
        }
        if (parts.length === 0) return { ok: true, count: 0 };
        const body = snappyCompress(Buffer.concat(parts));
        const sentAt = Date.now();
        const r = await postExport(cfg.url, body, headers, cfg.timeout, signal, (a) =>
          learnClock(a.headers.date, sentAt),
        );
        return { ...r, count: samples };
      },
    });

    function sample(): void {
      const series = familiesToSeries(deps.families(), base, cfg.external_labels);
      if (series.length === 0) return;
      let ts = Date.now();
      if (offset !== null && Math.abs(offset) > RESTAMP_AFTER_MS) ts += offset;
      const block = snappyCompress(encodeWriteRequest(series, ts));
      const rec = Buffer.alloc(HEADER + block.length);
      rec.writeDoubleLE(ts, 0);
      rec.writeUInt32LE(series.length, 8);
      rec.set(block, HEADER);
      queue.push(rec);
      sender.kick();
    }

    return {
      name,
      type: "remote_write",
      stats: Object.assign(stats, {
        queued: () => queue.length,
        queuedBytes: () => queue.bytes,
        bytesWritten: () => queue.bytesWritten,
      }),
      async start() {
        await queue.load();
        const tick = () => {
          try {
            sample();
          } catch (err) {
            ctx.log.warn(`export ${name}: sampling failed: ${(err as Error).message}`);
          }
          timer = setTimeout(tick, cfg.interval);
        };
        // The first sample once every module has started (their families exist by then).
        timer = setTimeout(tick, Math.min(cfg.interval, 1000));
        sender.kick();
      },
      async stop() {
        if (timer) clearTimeout(timer);
        sender.stop();
        await queue.close();
      },
      health() {
        const failing = stats.failed > 0 && sender.backingOff;
        return failing
          ? { ok: false, detail: `${name}: ${stats.lastError ?? "failing"}; ${queue.length} batches queued` }
          : { ok: true, detail: `${name}: ${queue.length} batches queued` };
      },
    };
  },
});
