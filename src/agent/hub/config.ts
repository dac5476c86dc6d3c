import { z } from "zod";
import { duration, httpUrl } from "../../config/kit.ts";

/** `hub:` — Push to a fleet hub (the device dials out; nothing needs to reach it). */
export const hubSection = () =>
  z
    .strictObject({
      url: httpUrl().describe("The hub's base URL, e.g. https://hub.example.net (plain http:// is accepted)"),
      enroll_key: z
        .string()
        .min(16, { error: "expected the hub's enroll key (at least 16 characters)" })
        .optional()
        .describe("The hub's enroll key: the device registers itself on first contact. Use ${ENV_VAR}."),
      token: z
        .string()
        .min(16, { error: "expected a device token (at least 16 characters)" })
        .optional()
        .describe("A device token issued by the hub (instead of enroll_key). Use ${ENV_VAR}."),
      interval: duration()
        .prefault("15s")
        .refine((ms) => ms >= 1000, { error: "expected an interval of at least 1s" })
        .describe("How often the device pushes; the hub calls it late after 2 × this"),
      queue_max_bytes: z
        .number()
        .int()
        .min(64 * 1024)
        .default(8 * 1024 * 1024)
        .describe(
          "Byte budget of the on-disk queue of unacknowledged pushes; beyond it the oldest are dropped, counted",
        ),
      timeout: duration().prefault("10s").describe("Give up on one push attempt after this long"),
      commands: z
        .boolean()
        .default(true)
        .describe(
          "Run the commands the hub relays (camera test, restart of a unit this config names, guarded reboot); false refuses them, each refusal reported and audited",
        ),
      thumbnail_file: z
        .string()
        .min(1)
        .optional()
        .describe(
          "A small JPEG to send as the device's thumbnail (instead of the newest photo's embedded EXIF thumbnail)",
        ),
      thumbnail_every: duration()
        .prefault("5m")
        .describe("Send the thumbnail at most this often, and only when it changed (at most 64 KiB; 0 turns it off)"),
    })
    .refine((h) => h.enroll_key || h.token, {
      error: "expected enroll_key or token (how the device proves itself to the hub)",
    })
    .optional()
    .describe("Push status, metrics, history and events to a fleet hub (absent: no hub)");
