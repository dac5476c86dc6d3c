import type { z } from "zod";
import type { JsonObject } from "../protocol/json.ts";
import type { Level } from "../protocol/names.ts";

/** One notification as stored in the outbox and handed to a channel. */
export interface Notification {
  id: string;
  /** Channel name (config `notify.channels[].name`, default its type). */
  channel: string;
  kind: "alert" | "event" | "test" | "daily_summary" | "summary";
  level: Level;
  title: string;
  message: string;
  device_id: string;
  site: string;
  /** ISO 8601, when the notification was created. */
  timestamp: string;
  /** Never sent twice (per channel). */
  dedupe_key: string;
  /** Alert fields (rule, state, severity, since, ...), when about an alert. */
  alert?: JsonObject;
  /** For a summary after an outage: how many notifications it stands for, and their titles. */
  summary_of?: { count: number; items: { level: Level; title: string; timestamp: string }[] };
  /** How many older notifications were dropped to keep the outbox bounded (told once, on the next send). */
  dropped_before?: number;
  /**
   * Sent again after the agent stopped while handing it to the channel: it may have arrived already
   * (at-least-once). Channels say so, and send the same `id` as their idempotency key where they can.
   */
  redelivery?: boolean;
}

export type SendResult =
  | { ok: true; detail?: string }
  | { ok: false; permanent: boolean; reason: string; retryAfterMs?: number };

/** A configured channel. `send` never throws: failures come back as a SendResult. */
export interface Channel {
  readonly name: string;
  readonly type: string;
  readonly minLevel: Level;
  send(n: Notification, signal: AbortSignal): Promise<SendResult>;
}

/** A channel type: one file in ./channels, listed in ./channels/index.ts. */
export interface ChannelType<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  /**
   * Builds the config schema of one `notify.channels[]` entry with `type: <this type>` (called to
   * validate, never kept).
   */
  readonly schema: () => S;
  create(cfg: z.output<S>, timeoutMs: number): Channel;
}

export function defineChannel<S extends z.ZodType>(c: ChannelType<S>): ChannelType<S> {
  return c;
}
