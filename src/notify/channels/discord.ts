import { z } from "zod";
import { httpUrl } from "../../config/kit.ts";
import { LEVELS } from "../../protocol/names.ts";
import { renderText } from "../format.ts";
import { post, splitText } from "../http.ts";
import { defineChannel, type SendResult } from "../types.ts";
import { safeJson } from "./telegram.ts";

/** Discord webhook: POST {webhook_url} {content}; content ≤ 2000 characters; 204 (200 with ?wait=true). */
export const DISCORD_LIMIT = 2000;

export const discord = defineChannel({
  type: "discord",
  schema: () =>
    z.strictObject({
      type: z.literal("discord").describe("Channel type"),
      name: z.string().min(1).optional().describe("Channel name (default: discord)"),
      min_level: z.enum(LEVELS).optional().describe("Only this level and above (default: notify.min_level)"),
      webhook_url: httpUrl().describe("Webhook URL (https://discord.com/api/webhooks/<id>/<token>)"),
      username: z.string().min(1).max(80).optional().describe("Name the message is posted as"),
    }),
  create(cfg, timeoutMs) {
    return {
      name: cfg.name ?? "discord",
      type: "discord",
      minLevel: cfg.min_level ?? "debug",
      async send(n, signal): Promise<SendResult> {
        for (const content of splitText(renderText(n), DISCORD_LIMIT)) {
          const body = JSON.stringify({ content, ...(cfg.username ? { username: cfg.username } : {}) });
          const r = await post(cfg.webhook_url, body, { signal, timeoutMs }, (status, text) => {
            if (status !== 429) return undefined;
            // {"message": "...", "retry_after": 0.5 (float seconds), "global": false}
            const ra = safeJson(text)?.retry_after;
            return {
              ok: false,
              permanent: false,
              reason: `HTTP 429: ${text.slice(0, 200)}`,
              ...(typeof ra === "number" ? { retryAfterMs: Math.ceil(ra * 1000) } : {}),
            };
          });
          if (!r.ok) return r;
        }
        return { ok: true };
      },
    };
  },
});
