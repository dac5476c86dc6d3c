// The stored rows as the API answers them (src/hub/api-types.ts: the fleet page reads the same types).
import type { IncomingMessage } from "node:http";
import type { AlertView, CheckView, EventView } from "./api-types.ts";
import type { AlertRow, CheckRow, EventRow } from "./store/types.ts";

const iso = (ms: number) => new Date(ms).toISOString();

export const alertView = (a: AlertRow): AlertView => ({
  ...a,
  since: iso(a.since),
  resolved_at: a.resolved_at ? iso(a.resolved_at) : null,
});

export const eventView = (e: EventRow): EventView => ({ ...e, t: iso(e.t) });

/** A check with its ping URL, built on the hub's address as the client reached it. */
export const checkView = (c: CheckRow, req: IncomingMessage): CheckView => ({
  ...c,
  ping_url: `http://${req.headers.host ?? "hub"}/ping/${c.uuid}`,
  last_ping: c.last_ping ? iso(c.last_ping) : null,
});
