// The page's data: the fleet as the stream last described it, the link's health, the filters and
// the route. Components read these signals and re-render on their own.
import { batch, type Signal, signal } from "@preact/signals";
import { auth, checkAccess } from "./api.ts";
import { type Filters, NO_FILTERS, openAlerts } from "./order.ts";
import { openStream } from "./stream.ts";
import type { FleetDevice, FleetOverview, StreamMessage } from "./types.ts";

/**
 * Every device, each in its own signal: a push that changes one device re-renders its card only.
 * The map itself is replaced when the list's shape changes (a device comes or goes, or changes
 * what it is sorted, filtered or grouped by), which re-renders the list.
 */
export const devices = signal<Map<string, Signal<FleetDevice>>>(new Map());
const shapeOf = (d: FleetDevice) =>
  `${d.state}|${d.maintenance}|${openAlerts(d).length > 0}|${d.site}|${d.tags.join("\n")}`;
export const overview = signal<FleetOverview | null>(null);

export interface Link {
  state: "connecting" | "live" | "lost" | "refused";
  /** Why the link is lost or refused. */
  why: string | null;
  /** When the last byte / the last change arrived (epoch ms). */
  lastByte: number | null;
  lastUpdate: number | null;
}
export const link = signal<Link>({ state: "connecting", why: null, lastByte: null, lastUpdate: null });

/** A clock for "12 s ago" texts: ticks every 5 s. */
export const now = signal(Date.now());
setInterval(() => {
  now.value = Date.now();
}, 5000);

export const filters = signal<Filters>(readFilters());
function readFilters(): Filters {
  try {
    const v = JSON.parse(sessionStorage.getItem("edgewatch.fleet.filters") ?? "null") as Partial<Filters> | null;
    return { ...NO_FILTERS, ...(v ?? {}) };
  } catch {
    return NO_FILTERS;
  }
}
export function setFilters(f: Partial<Filters>): void {
  filters.value = { ...filters.value, ...f };
  try {
    sessionStorage.setItem("edgewatch.fleet.filters", JSON.stringify(filters.value));
  } catch {}
}

export type Route = { view: "fleet" } | { view: "device"; id: string } | { view: "silences" } | { view: "sharing" };
function parseRoute(): Route {
  const m = /^#\/device\/(.+)$/.exec(location.hash);
  if (m?.[1]) return { view: "device", id: decodeURIComponent(m[1]) };
  if (location.hash === "#/silences") return { view: "silences" };
  if (location.hash === "#/sharing") return { view: "sharing" };
  return { view: "fleet" };
}
export const route = signal<Route>(parseRoute());
addEventListener("hashchange", () => {
  route.value = parseRoute();
});

// Stream messages are applied once per animation frame: 200 devices changing at once are one render.
let queue: StreamMessage[] = [];
function apply(): void {
  const msgs = queue;
  queue = [];
  batch(() => {
    let map = devices.value;
    let copied = false;
    const own = () => {
      if (!copied) {
        map = new Map(map);
        copied = true;
      }
      return map;
    };
    for (const m of msgs) {
      if (m.type === "snapshot") {
        map = new Map(m.devices.map((d) => [d.id, signal(d)]));
        copied = true;
      } else if (m.type === "device") {
        const one = map.get(m.device.id);
        if (!one) own().set(m.device.id, signal(m.device));
        else {
          if (shapeOf(one.peek()) !== shapeOf(m.device)) own();
          one.value = m.device;
        }
      } else if (m.type === "removed") own().delete(m.id);
      overview.value = m.overview;
    }
    if (copied) devices.value = map;
    link.value = { ...link.value, lastUpdate: Date.now() };
  });
  // After the render this batch caused (Preact renders in a microtask): marks for measuring the page.
  setTimeout(() => {
    if (!firstData) performance.mark("ew-first-data");
    firstData = true;
    performance.mark("ew-update");
  }, 0);
}
let firstData = false;

let close: (() => void) | null = null;
let generation = 0;
/** (Re)connects the stream with the current token, once the hub said the token may read. */
export function connect(): void {
  close?.();
  close = null;
  const mine = ++generation;
  link.value = { ...link.value, state: "connecting", why: null };
  checkAccess()
    .then((read) => {
      if (mine !== generation) return;
      if (!read) {
        link.value = {
          ...link.value,
          state: "refused",
          why: auth.value.token ? "the hub does not accept this token" : "This hub needs a token to be read",
        };
        return;
      }
      open();
    })
    // The hub is unreachable (or older, without /api/v1/whoami): the stream reports what happens.
    .catch(() => mine === generation && open());
}

function open(): void {
  close = openStream("/api/v1/stream", () => auth.value.token, {
    message(m) {
      if (queue.length === 0) {
        if (document.hidden) setTimeout(apply, 250);
        else requestAnimationFrame(apply);
      }
      queue.push(m);
    },
    alive() {
      link.value = { ...link.value, lastByte: Date.now() };
    },
    link(up, why) {
      link.value = { ...link.value, state: up ? "live" : "lost", why: why ?? null };
    },
    refused(_status, message) {
      link.value = { ...link.value, state: "refused", why: message };
    },
  });
}
