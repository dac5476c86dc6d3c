import { z } from "zod";
import { httpUrl } from "../../config/kit.ts";
import { LEVELS } from "../../protocol/names.ts";
import { post } from "../http.ts";
import { defineChannel, type Notification, type SendResult } from "../types.ts";

/** The generic webhook body: {message, level, device_id} plus site, timestamp and the alert. */
export function webhookBody(n: Notification): Record<string, unknown> {
  return {
    message: n.message.startsWith(n.title) ? n.message : `${n.title}\n${n.message}`,
    level: n.level.toUpperCase(),
    device_id: n.device_id,
    site: n.site,
    timestamp: n.timestamp,
    kind: n.kind,
    id: n.id,
    dedupe_key: n.dedupe_key,
    ...(n.alert ? { alert: n.alert } : {}),
    ...(n.summary_of ? { summary_of: n.summary_of } : {}),
    ...(n.dropped_before ? { dropped_before: n.dropped_before } : {}),
    ...(n.redelivery ? { redelivery: true } : {}),
  };
}

export const webhook = defineChannel({
  type: "webhook",
  schema: () =>
    z.strictObject({
      type: z.literal("webhook").describe("Channel type"),
      name: z.string().min(1).optional().describe("Channel name (default: webhook)"),
      min_level: z.enum(LEVELS).optional().describe("Only this level and above (default: notify.min_level)"),
      url: httpUrl().describe("Where to POST the JSON (Home Assistant, n8n, your own receiver)"),
      headers: z.record(z.string(), z.string()).default({}).describe("Extra request headers, e.g. Authorization"),
    }),
  create(cfg, timeoutMs) {
    return {
      name: cfg.name ?? "webhook",
      type: "webhook",
      minLevel: cfg.min_level ?? "debug",
      send(n, signal): Promise<SendResult> {
        return post(cfg.url, JSON.stringify(webhookBody(n)), {
          signal,
          timeoutMs,
          // the same key on every attempt: a receiver that keeps seen keys drops a repeat
          headers: { "content-type": "application/json", "idempotency-key": n.id, ...cfg.headers },
        });
      },
    };
  },
});
