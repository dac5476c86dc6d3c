import { z } from "zod";
import { httpUrl } from "../../config/kit.ts";
import { LEVELS } from "../../protocol/names.ts";
import { renderText } from "../format.ts";
import { post, splitText } from "../http.ts";
import { defineChannel, type SendResult } from "../types.ts";

/** Telegram Bot API: POST {api_url}/bot<token>/sendMessage {chat_id, text}; text ≤ 4096 characters. */
export const TELEGRAM_LIMIT = 4096;

export const telegram = defineChannel({
  type: "telegram",
  schema: () =>
    z.strictObject({
      type: z.literal("telegram").describe("Channel type"),
      name: z.string().min(1).optional().describe("Channel name (default: telegram)"),
      min_level: z.enum(LEVELS).optional().describe("Only this level and above (default: notify.min_level)"),
      bot_token: z
        .string()
        .regex(/^\d+:[A-Za-z0-9_-]+$/, { error: 'expected a bot token like "123456:ABC-DEF..." from @BotFather' })
        .describe("Bot token from @BotFather (use ${TELEGRAM_BOT_TOKEN})"),
      chat_id: z.union([z.string().min(1), z.number().int()]).describe("Chat, group or channel id"),
      api_url: httpUrl()
        .default("https://api.telegram.org")
        .describe("Bot API base URL (a local Bot API server or proxy)"),
    }),
  create(cfg, timeoutMs) {
    const url = `${cfg.api_url.replace(/\/+$/, "")}/bot${cfg.bot_token}/sendMessage`;
    return {
      name: cfg.name ?? "telegram",
      type: "telegram",
      minLevel: cfg.min_level ?? "debug",
      async send(n, signal): Promise<SendResult> {
        for (const text of splitText(renderText(n), TELEGRAM_LIMIT)) {
          const r = await post(
            url,
            JSON.stringify({ chat_id: cfg.chat_id, text }),
            { signal, timeoutMs },
            (status, body) => {
              // 429: {"ok":false,"error_code":429,"parameters":{"retry_after":N}}
              if (status === 429) {
                const ra = safeJson(body)?.parameters?.retry_after;
                return {
                  ok: false,
                  permanent: false,
                  reason: `HTTP 429: ${body.slice(0, 200)}`,
                  ...(typeof ra === "number" ? { retryAfterMs: ra * 1000 } : {}),
                };
              }
              if (status === 200 && safeJson(body)?.ok !== true) {
                return { ok: false, permanent: false, reason: `HTTP 200 without ok:true: ${body.slice(0, 200)}` };
              }
              return undefined;
            },
          );
          if (!r.ok) return r;
        }
        return { ok: true };
      },
    };
  },
});

function safeJson(
  text: string,
): { ok?: unknown; parameters?: { retry_after?: unknown }; retry_after?: unknown } | null {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export { safeJson };
