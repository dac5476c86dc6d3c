import { z } from "zod";
import { duration } from "../../config/kit.ts";
import { MqttClient } from "../../lib/mqtt.ts";
import { BUTTON_ACTIONS, discoveryConfigs, haState, topicsFor } from "./ha-discovery.ts";
import { defineExport, ExportStats } from "./types.ts";

const VERSION = "0.1.0";

/**
 * Home Assistant over MQTT: retained discovery configs (a device with sensors, binary sensors and,
 * when enabled, buttons), one JSON state published on change, a retained `online`/`offline`
 * availability with the broker's last will, everything re-published when Home Assistant announces
 * `online`. Buttons run the agent's control actions through its HTTP control routes (same token
 * check, same audit log).
 */
export const mqtt = defineExport({
  type: "mqtt",
  list: false,
  schema: () =>
    z
      .strictObject({
        url: z
          .url({ protocol: /^mqtts?$/, error: "expected an mqtt:// or mqtts:// URL" })
          .describe("The broker, e.g. mqtt://homeassistant.local:1883 or mqtts://broker:8883"),
        username: z.string().min(1).optional().describe("Broker user name"),
        password: z.string().min(1).optional().describe("Broker password (use ${ENV_VAR})"),
        client_id: z.string().min(1).max(64).optional().describe("MQTT client id (default: edgewatch-<device id>)"),
        discovery_prefix: z.string().min(1).default("homeassistant").describe("Home Assistant's discovery prefix"),
        topic_prefix: z
          .string()
          .min(1)
          .default("edgewatch")
          .describe("State, availability and command topics live under <topic_prefix>/<device>"),
        keepalive: duration()
          .prefault("60s")
          .describe("MQTT keep-alive; the broker publishes the last will after 1.5 × this of silence"),
        buttons: z
          .strictObject({
            enabled: z
              .boolean()
              .default(false)
              .describe(
                "Offer buttons in Home Assistant; anyone allowed to publish on the command topics can press them",
              ),
            actions: z
              .array(z.enum(BUTTON_ACTIONS))
              .default([...BUTTON_ACTIONS])
              .describe("Which control actions get a button"),
          })
          .prefault({})
          .describe("Buttons for the control actions (off unless enabled)"),
      })
      .describe("Home Assistant MQTT discovery: the device's status, photos, disk, temperature and alerts as entities"),
  create(cfg, deps) {
    const { ctx } = deps;
    const name = "mqtt";
    const stats = new ExportStats();
    const deviceKey = ctx.config.device.id.replace(/[^a-zA-Z0-9_-]/g, "_");
    const topics = topicsFor(cfg.topic_prefix, deviceKey);
    const buttons = cfg.buttons.enabled ? cfg.buttons.actions : [];
    const configs = discoveryConfigs({
      prefix: cfg.discovery_prefix,
      deviceKey,
      device: { id: ctx.config.device.id, site: ctx.config.device.site },
      version: VERSION,
      topics,
      buttons,
    });
    const client = new MqttClient({
      url: cfg.url,
      clientId: cfg.client_id ?? `edgewatch-${deviceKey}`.slice(0, 64),
      ...(cfg.username ? { username: cfg.username } : {}),
      ...(cfg.password ? { password: cfg.password } : {}),
      keepaliveS: Math.max(5, Math.round(cfg.keepalive / 1000)),
      will: { topic: topics.availability, payload: "offline", retain: true },
    });
    const statusTopic = `${cfg.discovery_prefix}/status`;
    let lastState = "";
    let queued = false;
    const unsubs: (() => void)[] = [];

    const pub = (topic: string, payload: string, retain: boolean) => {
      if (client.publish(topic, payload, retain)) {
        stats.sent++;
        stats.lastSuccessMs = Date.now();
      } else stats.failed++;
    };

    function publishState(force: boolean): void {
      const text = JSON.stringify(haState(ctx.state));
      if (!force && text === lastState) return;
      if (!client.isConnected) return;
      lastState = text;
      pub(topics.state, text, true);
    }

    function announce(): void {
      for (const [topic, payload] of configs) pub(topic, payload, true);
      pub(topics.availability, "online", true);
      publishState(true);
    }

    const changed = () => {
      if (queued) return;
      queued = true;
      setImmediate(() => {
        queued = false;
        publishState(false);
      });
    };

    client.on("connect", () => {
      ctx.log.info(`export ${name}: connected to ${new URL(cfg.url).host}`);
      client.subscribe([statusTopic, ...buttons.map((a) => topics.command(a))]);
      announce();
    });
    client.on("close", (reason) => {
      stats.lastError = reason;
      ctx.log.warn(`export ${name}: disconnected (${reason}); reconnecting`);
    });
    client.on("message", (topic, payload) => {
      const text = payload.toString("utf8");
      if (topic === statusTopic) {
        if (text === "online") announce();
        return;
      }
      const action = buttons.find((a) => topics.command(a) === topic);
      if (!action || text !== "PRESS") return;
      ctx.log.info(`export ${name}: button ${action} pressed in Home Assistant`);
      deps
        .control(action, `mqtt ${topic}`)
        .then((r) => ctx.log.info(`export ${name}: ${action} answered ${r.status}`, { result: r.result }))
        .catch((err: Error) => ctx.log.warn(`export ${name}: ${action} failed: ${err.message}`));
    });

    return {
      name,
      type: "mqtt",
      stats,
      async start() {
        for (const topic of ["status", "sample", "alert"] as const) unsubs.push(ctx.state.on(topic, changed));
        client.connect();
      },
      async stop() {
        for (const u of unsubs) u();
        // A clean stop says offline itself (a DISCONNECT suppresses the last will).
        if (client.isConnected) pub(topics.availability, "offline", true);
        await client.end();
      },
      health() {
        return client.isConnected
          ? { ok: true, detail: `${name}: connected` }
          : { ok: false, detail: `${name}: not connected${client.lastError ? ` (${client.lastError})` : ""}` };
      },
    };
  },
});
