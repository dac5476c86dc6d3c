import { z } from "zod";
import { httpUrl } from "../../config/kit.ts";
import { LEVELS, type Level } from "../../protocol/names.ts";
import { renderText } from "../format.ts";
import { post, truncateText } from "../http.ts";
import { defineChannel, type SendResult } from "../types.ts";

/** ntfy: POST {url}/{topic} with the message as body and Title/Priority/Tags headers; 4096-byte messages. */
export const NTFY_LIMIT_BYTES = 4096;

const PRIORITY: Record<Level, string> = { debug: "1", info: "2", warning: "3", error: "4", critical: "5" };
const TAGS: Record<Level, string> = {
  debug: "information_source",
  info: "information_source",
  warning: "warning",
  error: "rotating_light",
  critical: "rotating_light,skull",
};

/** Header values must be Latin-1: non-ASCII titles go RFC 2047-encoded, which ntfy decodes. */
function headerSafe(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s).toString("base64")}?=`;
}

function fitBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let cut = truncateText(text, max);
  while (Buffer.byteLength(cut) > max) cut = truncateText(cut, cut.length - 16);
  return cut;
}

export const ntfy = defineChannel({
  type: "ntfy",
  schema: () =>
    z.strictObject({
      type: z.literal("ntfy").describe("Channel type"),
      name: z.string().min(1).optional().describe("Channel name (default: ntfy)"),
      min_level: z.enum(LEVELS).optional().describe("Only this level and above (default: notify.min_level)"),
      url: httpUrl().default("https://ntfy.sh").describe("ntfy server (self-hosted or https://ntfy.sh)"),
      topic: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "expected a topic name of letters, digits, _ and - (1-64)" })
        .describe("Topic to publish to"),
      token: z.string().min(1).optional().describe("Access token (Authorization: Bearer), for protected topics"),
    }),
  create(cfg, timeoutMs) {
    const url = `${cfg.url.replace(/\/+$/, "")}/${cfg.topic}`;
    return {
      name: cfg.name ?? "ntfy",
      type: "ntfy",
      minLevel: cfg.min_level ?? "debug",
      async send(n, signal): Promise<SendResult> {
        const headers: Record<string, string> = {
          "content-type": "text/plain; charset=utf-8",
          Title: headerSafe(truncateText(`${n.device_id}: ${n.title}`, 250)),
          Priority: PRIORITY[n.level],
          Tags: TAGS[n.level],
        };
        if (cfg.token) headers.Authorization = `Bearer ${cfg.token}`;
        return post(url, fitBytes(renderText(n), NTFY_LIMIT_BYTES), { signal, timeoutMs, headers });
      },
    };
  },
});
