import { z } from "zod";
import { port } from "../../config/kit.ts";
import { LEVELS } from "../../protocol/names.ts";
import { renderText } from "../format.ts";
import { defineChannel, type SendResult } from "../types.ts";

const email_ = () => z.email({ error: "expected an e-mail address" });

/** E-mail over SMTP (nodemailer, loaded only when this channel is configured). */
export const email = defineChannel({
  type: "email",
  schema: () =>
    z.strictObject({
      type: z.literal("email").describe("Channel type"),
      name: z.string().min(1).optional().describe("Channel name (default: email)"),
      min_level: z.enum(LEVELS).optional().describe("Only this level and above (default: notify.min_level)"),
      host: z.string().min(1).describe("SMTP server host"),
      port: port().default(587).describe("SMTP port (587 submission, 465 with secure: true, 25)"),
      secure: z.boolean().default(false).describe("TLS from the start (port 465); otherwise STARTTLS when offered"),
      user: z.string().min(1).optional().describe("SMTP user"),
      password: z.string().min(1).optional().describe("SMTP password (use ${SMTP_PASSWORD})"),
      from: email_().describe("Sender address"),
      to: z.array(email_()).min(1).describe("Recipients"),
    }),
  create(cfg, timeoutMs) {
    let transport: { sendMail(m: object): Promise<{ accepted?: unknown[]; response?: string }> } | null = null;
    return {
      name: cfg.name ?? "email",
      type: "email",
      minLevel: cfg.min_level ?? "debug",
      async send(n, signal): Promise<SendResult> {
        if (!transport) {
          const nodemailer = await import("nodemailer");
          transport = nodemailer.createTransport({
            host: cfg.host,
            port: cfg.port,
            secure: cfg.secure,
            ...(cfg.user ? { auth: { user: cfg.user, pass: cfg.password ?? "" } } : {}),
            connectionTimeout: timeoutMs,
            greetingTimeout: timeoutMs,
            socketTimeout: timeoutMs,
          });
        }
        if (signal.aborted) return { ok: false, permanent: false, reason: "aborted" };
        try {
          const info = await transport.sendMail({
            from: cfg.from,
            to: cfg.to.join(", "),
            subject: `[edgewatch] ${n.device_id}: ${n.title}`.slice(0, 200),
            text: renderText(n),
            // the same Message-ID on every attempt: mail stores and clients treat a repeat as one message
            messageId: `<${n.id}.${n.channel}@${n.device_id.replace(/[^A-Za-z0-9.-]/g, "-") || "edgewatch"}.edgewatch>`,
            ...(n.redelivery ? { headers: { "X-Edgewatch-Redelivery": "yes" } } : {}),
          });
          return { ok: true, detail: info.response ?? "sent" };
        } catch (err) {
          const e = err as Error & { responseCode?: number; code?: string };
          const reason = `SMTP ${e.responseCode ?? e.code ?? "error"}: ${e.message}`;
          // 5xx replies are permanent (bad recipient, auth refused); 4xx and connection errors retry.
          const permanent = typeof e.responseCode === "number" && e.responseCode >= 500;
          return { ok: false, permanent, reason };
        }
      },
    };
  },
});
