// The one place the hub reaches into the agent's shared families (HTTP server, notify, clock):
// when those move to top-level folders, only these paths change.
import { ControlGuard } from "../agent/http/auth.ts";
import { createHttpServer } from "../agent/http/server.ts";
import { createChannels } from "../agent/notify/notifier.ts";
import { Outbox } from "../agent/notify/outbox.ts";
import type { Config } from "../config/schema.ts";
import { httpSection } from "../config/sections/http.ts";
import type { HubConfig } from "./config.ts";

export { HttpError, Query, sendBody, sendError, sendJson } from "../agent/http/respond.ts";
export type { AgentHttpServer as HttpServer } from "../agent/http/server.ts";
export type { Logger, Route } from "../agent/module.ts";
export type { Notification } from "../agent/notify/types.ts";
export { ControlGuard, Outbox };

/** The hardened HTTP server, with the hub's port, bind and limits; control routes take admin_token. */
export function hubHttpServer(
  config: HubConfig,
  routes: import("../agent/module.ts").Route[],
  log: import("../agent/module.ts").Logger,
) {
  const http = { ...httpSection.parse({}), ...config.http };
  return createHttpServer({ http, routes, log, guard: new ControlGuard(config.admin_token) });
}

/** The agent's notification channels, built from the hub's `notify:` section (same schema). */
export function hubChannels(config: HubConfig) {
  return createChannels({ notify: config.notify } as unknown as Config);
}
