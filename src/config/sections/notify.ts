import { z } from "zod";

/** `notify:` — Notification channels, levels and the durable outbox. */
export const notifySection = z
  .strictObject({})
  .default({})
  .describe("Notification channels, levels and the durable outbox");
