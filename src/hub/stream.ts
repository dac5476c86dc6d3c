import { SseHub } from "../http/sse.ts";
import { authorizeRead } from "./auth.ts";
import type { HubContext } from "./context.ts";
import type { Route } from "./shared.ts";

/** Most concurrent fleet streams; one more gets 503 + Retry-After. */
export const STREAM_CLIENTS = 64;

/**
 * GET /api/v1/stream: the fleet page's live feed. One `snapshot` on connect, then a `device` or
 * `removed` message whenever the hub changes something a device shows (each frame one `data:` line of
 * JSON, serialised once for all clients). A comment every 15 s keeps proxies from closing it; a client
 * whose unsent backlog passes 1 MiB is dropped (it reconnects and gets a fresh snapshot). Messages come
 * from the hub's change points (push, liveness transition, silence, alert), never from a poll.
 */
export function streamRoute(k: HubContext): { route: Route; close: () => void; readonly clients: number } {
  const sse = new SseHub({
    maxClients: STREAM_CLIENTS,
    heartbeatMs: 15_000,
    maxBacklogBytes: 1024 * 1024,
    retryMs: 2000,
    refusedHint: "read GET /api/v1/devices instead or retry later",
    heartbeatText: () => ": keepalive\n\n",
    compress: true,
  });
  k.fleet.out = { active: () => sse.size > 0, send: (m) => sse.broadcast(null, m) };
  return {
    route: {
      method: "GET",
      path: "/api/v1/stream",
      handle(req, res) {
        authorizeRead(k, req);
        sse.open(req, res, () => ({ event: null, data: k.fleet.snapshot() }));
      },
    },
    close: () => sse.close(),
    get clients() {
      return sse.size;
    },
  };
}
