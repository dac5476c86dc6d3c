import type { HubAlerts } from "./alerts.ts";
import { human } from "./alerts.ts";
import type { HubConfig } from "./config.ts";
import type { Deadlines } from "./deadlines.ts";
import type { Logger } from "./shared.ts";
import type { AlertRow, DeviceRow, DeviceState, HubStore } from "./store/types.ts";

interface Live {
  row: DeviceRow;
  /** The down alert while one is firing. */
  alert: AlertRow | null;
  /** Down, but its notification waits: every other device of its site is silent too. */
  held: boolean;
}

/**
 * Device liveness from the hub's own receive times: up, late (no push for 2 × interval), down (no push
 * for offline_after). One deadline per device in the shared Deadlines heap, nothing polled. After a hub
 * restart every device gets one full offline_after from the start before it can be declared down.
 */
export class Liveness {
  readonly devices = new Map<string, Live>();
  private readonly sites = new Map<string, AlertRow>();
  /** Sites with a down notification waiting on a silent neighbour. */
  private readonly heldSites = new Set<string>();
  private readonly startedAt: number;
  /** Called after a device's state changed (with every device of its site: a site alert shows on each). */
  onChange: (ids: string[]) => void = () => {};

  constructor(
    private readonly config: HubConfig,
    private readonly store: HubStore,
    private readonly alerts: HubAlerts,
    private readonly deadlines: Deadlines,
    private readonly log: Logger,
    now = Date.now(),
  ) {
    this.startedAt = now;
  }

  /** The firing "site unreachable" alert of a site, if any. */
  siteAlert(site: string): AlertRow | undefined {
    return this.sites.get(site);
  }

  offlineAfter(d: DeviceRow): number {
    return this.config.offline_after ?? Math.max(3 * d.interval_ms, 45_000);
  }

  async load(): Promise<void> {
    const firing = await this.store.alerts({ state: "firing", limit: 100_000 });
    for (const row of await this.store.listDevices()) {
      const alert = firing.find((a) => a.kind === "device_down" && a.subject === row.id) ?? null;
      this.devices.set(row.id, { row, alert, held: false });
      this.schedule(row.id);
    }
    for (const a of firing) if (a.kind === "site_unreachable") this.sites.set(a.subject, a);
  }

  private chain: Promise<void> = Promise.resolve();

  /** Transitions run one at a time: a site's devices going down together must be judged together. */
  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn);
    this.chain = next.catch((err: Error) => this.log.error("liveness transition failed", { error: err.message }));
    return next;
  }

  /** A device row changed (enrolled, pushed): refresh the cached copy and its deadline. */
  pushed(row: DeviceRow, now: number): Promise<void> {
    return this.serial(() => this.pushedNow(row, now));
  }

  private async pushedNow(row: DeviceRow, now: number): Promise<void> {
    const live = this.devices.get(row.id) ?? { row, alert: null, held: false };
    const was = live.row.state;
    live.row = { ...row, state: was, state_since: live.row.state_since };
    this.devices.set(row.id, live);
    if (was !== "up") await this.transition(live, "up", now);
    else if (this.heldSites.has(row.site)) await this.settleSite(row.site, now); // a neighbour's alert waits on this one
    this.schedule(row.id);
  }

  /** A removed device: no deadline, and its open alert is closed (not notified). */
  async forget(id: string): Promise<void> {
    const live = this.devices.get(id);
    this.devices.delete(id);
    this.deadlines.clear(`dev:${id}`);
    if (live?.alert) await this.store.putAlert({ ...live.alert, state: "resolved", resolved_at: Date.now() });
  }

  /** The state a device should be in at `now` (hub receive time only). */
  stateAt(live: Live, now: number): DeviceState {
    const d = live.row;
    if (d.last_seen === null) return "new";
    const base = Math.max(d.last_seen, this.startedAt);
    const quiet = now - d.last_seen;
    if (now - base >= this.offlineAfter(d)) return "down";
    if (d.state === "down" && quiet >= this.offlineAfter(d)) return "down"; // was down before the restart
    if (quiet >= 2 * d.interval_ms) return "late";
    return "up";
  }

  private schedule(id: string): void {
    const live = this.devices.get(id);
    if (!live || live.row.last_seen === null) return;
    const d = live.row;
    const base = Math.max(d.last_seen as number, this.startedAt);
    const late = (d.last_seen as number) + 2 * d.interval_ms;
    const down = base + this.offlineAfter(d);
    const next = d.state === "up" || d.state === "new" ? Math.min(late, down) : d.state === "late" ? down : null;
    if (next !== null) this.deadlines.set(`dev:${id}`, next);
  }

  /** A device's deadline passed. */
  due(id: string, now: number): Promise<void> {
    return this.serial(() => this.dueNow(id, now));
  }

  private async dueNow(id: string, now: number): Promise<void> {
    const live = this.devices.get(id);
    if (!live) return;
    const next = this.stateAt(live, now);
    if (next !== live.row.state) await this.transition(live, next, now);
    this.schedule(id);
  }

  private async transition(live: Live, to: DeviceState, now: number): Promise<void> {
    const d = live.row;
    const from = d.state;
    d.state = to;
    d.state_since = now;
    await this.store.setDeviceState(d.id, to, now);
    this.log.info("device state", { device: d.id, site: d.site, from, to });
    if (to === "down") {
      live.held = true;
      await this.settleSite(d.site, now);
    } else if (to === "up" && from !== "new") {
      await this.backUp(live, now);
    } else if (to === "late") {
      await this.settleSite(d.site, now);
    }
    this.onChange([...this.devices.values()].filter((l) => l.row.site === d.site).map((l) => l.row.id));
  }

  private lastStatus(d: DeviceRow): string {
    const s = d.status?.status;
    return typeof s === "string" ? s : "unknown";
  }

  private inSite(site: string): Live[] {
    return [...this.devices.values()].filter((l) => l.row.site === site && l.row.state !== "new");
  }

  /**
   * Decide the held down notifications of a site: when every device of a site (two or more) is down,
   * one "site unreachable" alert; while the rest are only late, wait; otherwise one alert per device.
   */
  private async settleSite(site: string, now: number): Promise<void> {
    const all = this.inSite(site);
    const held = all.filter((l) => l.held && l.row.state === "down");
    this.heldSites.delete(site);
    if (held.length === 0) return;
    this.heldSites.add(site);
    // Silent: late or down, or quiet for longer than 1.5 pushes (its own deadline has not fired yet).
    const silent = all.filter((l) => l.row.state !== "up" || now - (l.row.last_seen ?? now) > 1.5 * l.row.interval_ms);
    if (this.config.site_unreachable && all.length >= 2 && silent.length === all.length) {
      if (all.every((l) => l.row.state === "down")) {
        if (!this.sites.has(site)) {
          const row = await this.alerts.fire(
            {
              id: `site_unreachable:${site}:${now}`,
              kind: "site_unreachable",
              subject: site,
              site,
              since: now,
              summary: `site ${site} is unreachable: all ${all.length} devices stopped pushing (${all.map((l) => l.row.id).join(", ")}); its uplink is the likely cause`,
            },
            "critical",
            { device: "", site, tags: [] },
            now,
          );
          this.sites.set(site, row);
        }
        this.heldSites.delete(site);
        for (const l of held) {
          l.held = false;
          l.alert = await this.recordDown(l, now, false);
        }
      }
      return; // the others are late: they decide within offline_after
    }
    this.heldSites.delete(site);
    for (const l of held) {
      l.held = false;
      l.alert = await this.recordDown(l, now, true);
    }
  }

  private async recordDown(l: Live, now: number, notify: boolean): Promise<AlertRow> {
    const d = l.row;
    const summary = `${d.id} (site ${d.site}) is down: no push for ${human(now - (d.last_seen ?? now))}; last status: ${this.lastStatus(d)}`;
    const base = {
      id: `device_down:${d.id}:${now}`,
      kind: "device_down" as const,
      subject: d.id,
      site: d.site,
      since: now,
      summary,
    };
    if (notify) return this.alerts.fire(base, "critical", { device: d.id, site: d.site, tags: d.tags }, now);
    const row: AlertRow = { ...base, state: "firing", resolved_at: null, notified: false };
    await this.store.putAlert(row);
    return row;
  }

  private async backUp(live: Live, now: number): Promise<void> {
    const d = live.row;
    live.held = false;
    const site = this.sites.get(d.site);
    if (site) {
      this.sites.delete(d.site);
      await this.alerts.resolve(
        site,
        "critical",
        `site ${d.site} is reachable again (${d.id} pushed after ${human(now - site.since)})`,
        now,
      );
    }
    if (live.alert) {
      const a = live.alert;
      live.alert = null;
      await this.alerts.resolve(
        a,
        "critical",
        `${d.id} (site ${d.site}) is up again after ${human(now - a.since)} down; status: ${this.lastStatus(d)}`,
        now,
      );
    }
    // Devices of a recovered site that are still down are now reported one by one.
    if (site) {
      for (const l of this.inSite(d.site)) {
        if (l.row.state !== "down" || !l.alert || l.alert.notified) continue;
        await this.store.putAlert({ ...l.alert, state: "resolved", resolved_at: now }); // replaced by its own alert
        l.alert = null;
        l.held = true;
      }
    }
    await this.settleSite(d.site, now);
  }

  counts(): Record<DeviceState, number> {
    const c: Record<DeviceState, number> = { new: 0, up: 0, late: 0, down: 0 };
    for (const l of this.devices.values()) c[l.row.state]++;
    return c;
  }
}
