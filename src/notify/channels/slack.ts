import { z } from "zod";
import { httpUrl } from "../../config/kit.ts";
import { LEVELS } from "../../protocol/names.ts";
import { renderText } from "../format.ts";
import { post, splitText } from "../http.ts";
import { defineChannel, type SendResult } from "../types.ts";

/** Slack incoming webhook: POST {webhook_url} {text}; answers 200 with the body "ok". */
export const SLACK_LIMIT = 4000;

export const slack = defineChannel({
  type: "slack",
  schema: () =>
    z.strictObject({
      type: z.literal("slack").describe("Channel type"),
      name: z.string().min(1).optional().describe("Channel name (default: slack)"),
      min_level: z.enum(LEVELS).optional().describe("Only this level and above (default: notify.min_level)"),
      webhook_url: httpUrl().describe("Incoming webhook URL (https://hooks.slack.com/services/...)"),
    }),
  create(cfg, timeoutMs) {
    return {
      name: cfg.name ?? "slack",
      type: "slack",
      minLevel: cfg.min_level ?? "debug",
      async send(n, signal): Promise<SendResult> {
        for (const text of splitText(renderText(n), SLACK_LIMIT)) {
          const r = await post(cfg.webhook_url, JSON.stringify({ text }), { signal, timeoutMs });
          if (!r.ok) return r;
        }
        return { ok: true };
      },
    };
  },
});
