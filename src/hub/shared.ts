// The shared families the hub builds on (HTTP server, notify): one place that adapts them to the
// hub's config.
import type { z } from "zod";
import { ControlGuard } from "../http/auth.ts";
import { httpSection } from "../http/config.ts";
import { HttpError } from "../http/respond.ts";
import type { Route } from "../http/route.ts";
import { createHttpServer } from "../http/server.ts";
import type { Logger } from "../lib/log.ts";
import { createChannels, type NotifierConfig } from "../notify/notifier.ts";
import { Outbox } from "../notify/outbox.ts";
import type { HubConfig } from "./config.ts";

export { HttpError, Query, sendBody, sendError, sendJson } from "../http/respond.ts";
export type { Route } from "../http/route.ts";
export type { AgentHttpServer as HttpServer } from "../http/server.ts";
export type { Logger } from "../lib/log.ts";
export type { Notification } from "../notify/types.ts";
export { ControlGuard, Outbox };

/** The hardened HTTP server, with the hub's port, bind and limits; control routes take admin_token. */
export function hubHttpServer(config: HubConfig, routes: Route[], log: Logger) {
  const http = { ...httpSection().parse({}), ...config.http };
  return createHttpServer({ http, routes, log, guard: new ControlGuard(config.admin_token) });
}

/** The notification channels, built from the hub's `notify:` section (same schema as the agent's). */
export function hubChannels(config: HubConfig) {
  return createChannels({ notify: config.notify } as unknown as NotifierConfig);
}

/** A request body checked against a schema; 400 naming each problem otherwise. */
export const parse = <T extends z.ZodType>(schema: T, body: unknown, what: string): z.output<T> => {
  const r = schema.safeParse(body ?? {});
  if (!r.success)
    throw new HttpError(
      400,
      `${what}: ${r.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ")}`,
    );
  return r.data;
};
