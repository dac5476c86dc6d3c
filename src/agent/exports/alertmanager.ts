import { z } from "zod";
import { duration, httpUrl } from "../../config/kit.ts";
import { backoffDelay } from "../../lib/backoff.ts";
import type { AlertState } from "../state.ts";
import { authHeaders, authOptions, postExport, USER_AGENT } from "./common.ts";
import { defineExport, ExportStats } from "./types.ts";

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

const flat = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/** Alertmanager labels (its identity) and annotations of one agent alert. */
export function alertmanagerAlert(
  a: AlertState,
  device: { id: string; site: string },
  endsAt: number,
  generatorURL?: string,
): AmAlert {
  const key = a.id.startsWith(`${a.rule}:`) ? a.id.slice(a.rule.length + 1) : "";
  const source = typeof a.fields?.source === "string" ? a.fields.source : "";
  const labels: Record<string, string> = {
    alertname: a.rule,
    rule: a.rule,
    severity: a.severity,
    device: device.id,
    site: device.site,
    ...(source ? { source } : {}),
    ...(key ? { key } : {}),
  };
  const annotations: Record<string, string> = { summary: a.summary };
  for (const [k, v] of Object.entries(a.fields ?? {}))
    if (v !== null && v !== undefined && !(k in annotations)) annotations[k] = flat(v);
  return {
    labels,
    annotations,
    startsAt: new Date(Date.parse(a.since) || Date.now()).toISOString(),
    endsAt: new Date(endsAt).toISOString(),
    ...(generatorURL ? { generatorURL } : {}),
  };
}

/**
 * Alertmanager v2 push: firing alerts are re-sent every `resend_interval` with endsAt four intervals
 * ahead (so Alertmanager resolves them itself if the device goes silent); a resolved alert is sent
 * whole — the annotations it fired with included — with endsAt set to when it resolved. No disk
 * queue: what is firing is the agent's state, re-sent until it is acknowledged.
 */
export const alertmanager = defineExport({
  type: "alertmanager",
  list: false,
  schema: () =>
    z
      .strictObject({
        url: httpUrl().describe(
          "Alertmanager's base URL, e.g. http://alertmanager:9093 (the agent appends /api/v2/alerts)",
        ),
        resend_interval: duration().prefault("60s").describe("Firing alerts are re-sent this often"),
        timeout: duration().prefault("10s").describe("Give up on one request after this long (then retry)"),
        generator_url: httpUrl()
          .optional()
          .describe("Link shown with each alert, e.g. the agent's http://pi.local:8080/api/alerts"),
        ...authOptions(),
        backoff_initial: duration().prefault("5s").describe("First retry delay after a failed push"),
      })
      .describe("Push the agent's alerts to Alertmanager's v2 API (for setups with Alertmanager and no hub)"),
  create(cfg, deps) {
    const { ctx } = deps;
    const name = "alertmanager";
    const stats = new ExportStats();
    const url = `${cfg.url.replace(/\/+$/, "")}/api/v2/alerts`;
    const device = { id: ctx.config.device.id, site: ctx.config.device.site };
    const headers = { ...authHeaders(cfg), "content-type": "application/json", "user-agent": USER_AGENT };
    /** Firing alerts by id, and resolved ones not yet acknowledged (with when they resolved). */
    const firing = new Map<string, AlertState>();
    const resolved = new Map<string, { a: AlertState; at: number }>();
    const abort = new AbortController();
    let timer: NodeJS.Timeout | null = null;
    let busy = false;
    let again = false;
    let failures = 0;
    let warned = false;
    let unsub = () => {};

    function schedule(ms: number): void {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        void push();
      }, ms);
    }

    async function push(): Promise<void> {
      if (abort.signal.aborted) return;
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      const now = Date.now();
      const endsAhead = now + 4 * cfg.resend_interval;
      const done = [...resolved.values()];
      const body = [
        ...[...firing.values()].map((a) => alertmanagerAlert(a, device, endsAhead, cfg.generator_url)),
        ...done.map(({ a, at }) => alertmanagerAlert(a, device, at, cfg.generator_url)),
      ];
      try {
        if (body.length === 0) return;
        const r = await postExport(url, JSON.stringify(body), headers, cfg.timeout, abort.signal);
        if (r.ok) {
          stats.sent += body.length;
          stats.lastSuccessMs = Date.now();
          failures = 0;
          warned = false;
          for (const d of done) if (resolved.get(d.a.id) === d) resolved.delete(d.a.id);
        } else {
          stats.failed++;
          stats.lastError = r.reason;
          if (r.permanent) {
            // The same alerts would be refused again: keep re-sending firing ones on schedule (a config
            // fix on the Alertmanager side takes effect), give up on the resolves.
            stats.dropped += done.length;
            for (const d of done) resolved.delete(d.a.id);
            if (!warned) ctx.log.warn(`export ${name}: Alertmanager refused the alerts (${r.reason}); not retried`);
            warned = true;
          } else {
            failures++;
            if (failures === 1 || failures % 10 === 0)
              ctx.log.warn(`export ${name}: push failed (${r.reason}); retrying`);
            schedule(backoffDelay(failures, cfg.backoff_initial, cfg.resend_interval, r.retryAfterMs));
            return;
          }
        }
      } finally {
        busy = false;
      }
      if (again) {
        again = false;
        void push();
      } else if (firing.size > 0 || resolved.size > 0) schedule(cfg.resend_interval);
    }

    function onAlert(a: AlertState): void {
      if (a.state === "firing" || a.state === "flapping") {
        firing.set(a.id, a);
        resolved.delete(a.id);
      } else if (a.state === "resolved") {
        const last = firing.get(a.id);
        if (!last) return;
        firing.delete(a.id);
        // The whole alert as it fired (labels and annotations), ended now.
        resolved.set(a.id, { a: last, at: Date.now() });
      } else return;
      schedule(0);
    }

    return {
      name,
      type: "alertmanager",
      stats: Object.assign(stats, { queued: () => firing.size + resolved.size }),
      async start() {
        for (const a of ctx.state.alerts.values())
          if (a.state === "firing" || a.state === "flapping") firing.set(a.id, a);
        unsub = ctx.state.on("alert", onAlert);
        if (firing.size > 0) schedule(0);
      },
      async stop() {
        unsub();
        abort.abort();
        if (timer) clearTimeout(timer);
      },
      health() {
        return failures > 0
          ? { ok: false, detail: `${name}: ${stats.lastError ?? "failing"}` }
          : { ok: true, detail: `${name}: ${firing.size} firing` };
      },
    };
  },
});
