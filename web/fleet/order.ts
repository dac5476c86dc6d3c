// Which devices come first, and which are shown: pure functions over the API's device views.
import type { FleetDevice } from "./types.ts";

export interface Filters {
  q: string;
  site: string;
  tag: string;
  /** "" = every device; otherwise only devices in this state ("alerts": with a firing alert). */
  state: "" | "down" | "late" | "up" | "alerts" | "maintenance";
  group: "none" | "site" | "tag";
}

export const NO_FILTERS: Filters = { q: "", site: "", tag: "", state: "", group: "none" };

/** Firing alerts that are not silenced: the ones that need someone. */
export function openAlerts(d: FleetDevice) {
  return (d.alerts ?? []).filter((a) => !a.silenced);
}

/**
 * Problems first: down, then late, then devices with firing alerts, then the rest. A device in a
 * maintenance window is expected to be off, so it comes after the problems.
 */
export function rank(d: FleetDevice): number {
  if (d.maintenance) return 3;
  if (d.state === "down") return 0;
  if (d.state === "late") return 1;
  if (openAlerts(d).length > 0) return 2;
  return 4;
}

export function sortDevices(list: FleetDevice[]): FleetDevice[] {
  return [...list].sort(
    (a, b) => rank(a) - rank(b) || (a.site ?? "").localeCompare(b.site ?? "") || a.id.localeCompare(b.id),
  );
}

export function matches(d: FleetDevice, f: Filters): boolean {
  if (f.q && !d.id.toLowerCase().includes(f.q.trim().toLowerCase())) return false;
  if (f.site && d.site !== f.site) return false;
  if (f.tag && !d.tags.includes(f.tag)) return false;
  switch (f.state) {
    case "":
      return true;
    case "alerts":
      return openAlerts(d).length > 0;
    case "maintenance":
      return d.maintenance;
    default:
      return d.state === f.state && !d.maintenance;
  }
}

/** Sorted, filtered, grouped: [group label, devices][]; one unnamed group when not grouping. */
export function arrange(all: Iterable<FleetDevice>, f: Filters): [string, FleetDevice[]][] {
  const shown = sortDevices([...all].filter((d) => matches(d, f)));
  if (f.group === "none") return [["", shown]];
  const groups = new Map<string, FleetDevice[]>();
  for (const d of shown) {
    const keys = f.group === "site" ? [d.site ?? "(no site)"] : d.tags.length ? d.tags : ["(no tag)"];
    for (const k of keys) groups.set(k, [...(groups.get(k) ?? []), d]);
  }
  // Groups with a problem first, then by name.
  return [...groups].sort(
    ([a, da], [b, db]) => Math.min(...da.map(rank)) - Math.min(...db.map(rank)) || a.localeCompare(b),
  );
}

/** Every site and tag of the fleet, for the filter menus. */
export function facets(all: Iterable<FleetDevice>): { sites: string[]; tags: string[] } {
  const sites = new Set<string>();
  const tags = new Set<string>();
  for (const d of all) {
    if (d.site) sites.add(d.site);
    for (const t of d.tags) tags.add(t);
  }
  return { sites: [...sites].sort(), tags: [...tags].sort() };
}
