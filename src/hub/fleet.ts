import type { JsonObject } from "../protocol/json.ts";
import type { HubAlerts } from "./alerts.ts";
import type { DeviceSummary, FleetAlert, FleetDevice, FleetOverview, StreamMessage } from "./api-types.ts";
import type { Liveness } from "./liveness.ts";
import type { Pings } from "./pings.ts";
import type { DeviceRow, HubStore } from "./store/types.ts";
import { EMPTY_SUMMARY } from "./summary.ts";

const SEVERITIES = new Set(["info", "warning", "critical"]);
const str = (v: unknown) => (typeof v === "string" ? v : null);

/** A device's firing alerts as the agent pushed them (`firing`, or the changes in `alerts`). */
export function pushedAlerts(
  prev: FleetAlert[],
  firing: JsonObject[] | undefined,
  changes: JsonObject[],
): FleetAlert[] {
  const one = (a: JsonObject): FleetAlert => ({
    key: String(a.id ?? a.key ?? a.rule ?? "alert").slice(0, 200),
    rule: String(a.rule ?? "alert").slice(0, 100),
    severity: SEVERITIES.has(String(a.severity)) ? (a.severity as FleetAlert["severity"]) : "warning",
    summary: String(a.summary ?? "").slice(0, 1000),
    since: str(a.since),
    source: "device",
    silenced: false,
  });
  if (firing)
    return firing
      .filter((a) => (a.state ?? "firing") === "firing")
      .map(one)
      .slice(0, 100);
  const m = new Map(prev.map((a) => [a.key, a]));
  for (const c of changes) {
    const a = one(c);
    if (c.state === "firing") m.set(a.key, a);
    else if (c.state === "resolved") m.delete(a.key);
  }
  return [...m.values()].slice(0, 100);
}

/**
 * The fleet page's view of every device: the summary derived at ingest, the firing alerts (pushed and
 * the hub's own), maintenance and thumbnail. Listeners (the live stream) get a `device` message when
 * a device's view changed: the view is compared with the one last sent, so a push that changes
 * nothing shown sends nothing. With no stream client, nothing is compared or built.
 */
export class Fleet {
  readonly summaries = new Map<string, DeviceSummary>();
  readonly pushed = new Map<string, FleetAlert[]>();
  readonly thumbs = new Map<string, number>();
  private readonly shown = new Map<string, string>();
  /** What each shown device adds to the overview (kept with `shown`, so a message needs no full rebuild). */
  private readonly counted = new Map<string, Pick<FleetDevice, "state" | "maintenance"> & { alerts: number }>();

  constructor(
    private readonly k: {
      readonly store: HubStore;
      readonly alerts: HubAlerts;
      readonly liveness: Liveness;
      readonly pings: Pings;
    },
  ) {}

  async load(): Promise<void> {
    for (const d of await this.k.store.fleet.allData("summary"))
      this.summaries.set(d.device, { ...EMPTY_SUMMARY, ...(JSON.parse(d.value) as Partial<DeviceSummary>) });
    for (const d of await this.k.store.fleet.allData("alerts"))
      this.pushed.set(d.device, JSON.parse(d.value) as FleetAlert[]);
    for (const d of await this.k.store.fleet.allData("thumbnail", false)) this.thumbs.set(d.device, d.t);
  }

  /**
   * What a push changes of the fleet view, as device data for the store to write in the push's own
   * transaction (only what changed); `stored` then applies it here once the push is committed.
   */
  prepare(id: string, summary: DeviceSummary, alerts: FleetAlert[], thumbnail: Buffer | null) {
    const data: Record<string, string> = {};
    const s = JSON.stringify(summary);
    if (s !== JSON.stringify(this.summaries.get(id) ?? null)) data.summary = s;
    const a = JSON.stringify(alerts);
    if (a !== JSON.stringify(this.pushed.get(id) ?? [])) data.alerts = a;
    if (thumbnail) data.thumbnail = thumbnail.toString("base64");
    return {
      data,
      stored: (now: number) => {
        this.summaries.set(id, summary);
        this.pushed.set(id, alerts);
        if (thumbnail) this.thumbs.set(id, now);
      },
    };
  }

  summary(id: string): DeviceSummary {
    return this.summaries.get(id) ?? EMPTY_SUMMARY;
  }

  private subject(d: DeviceRow) {
    return { device: d.id, site: d.site, tags: d.tags };
  }

  /** The hub's own firing alerts about a device: down, its site unreachable, its checks down. */
  hubAlerts(d: DeviceRow): FleetAlert[] {
    const out: FleetAlert[] = [];
    const silenced = !!this.k.alerts.silencedBy(this.subject(d), Date.now());
    const add = (a: { id: string; kind: string; summary: string; since: number } | null | undefined) => {
      if (a)
        out.push({
          key: a.id,
          rule: a.kind,
          severity: "critical",
          summary: a.summary,
          since: new Date(a.since).toISOString(),
          source: "hub",
          silenced,
        });
    };
    add(this.k.liveness.devices.get(d.id)?.alert);
    add(this.k.liveness.siteAlert(d.site));
    for (const c of this.k.pings.list()) if (c.device === d.id) add(this.k.pings.firingOf(c.uuid));
    return out;
  }

  alerts(d: DeviceRow): FleetAlert[] {
    const silenced = !!this.k.alerts.silencedBy(this.subject(d), Date.now());
    return [...(this.pushed.get(d.id) ?? []).map((a) => ({ ...a, silenced })), ...this.hubAlerts(d)];
  }

  view(d: DeviceRow): FleetDevice {
    const now = Date.now();
    const at = this.thumbs.get(d.id);
    return {
      id: d.id,
      site: d.site,
      tags: d.tags,
      state: d.state,
      since: new Date(d.state_since).toISOString(),
      last_seen: d.last_seen === null ? null : new Date(d.last_seen).toISOString(),
      interval_seconds: d.interval_ms / 1000,
      offline_after_seconds: this.k.liveness.offlineAfter(d) / 1000,
      status: typeof d.status?.status === "string" ? d.status.status : null,
      clock_ahead: d.clock_ahead,
      clock_offset_seconds: d.clock_offset_ms === null ? null : Math.round(d.clock_offset_ms / 1000),
      pushes: d.pushes,
      silenced: !!this.k.alerts.silencedBy(this.subject(d), now),
      maintenance: this.k.alerts.inMaintenance(this.subject(d), now),
      summary: this.summary(d.id),
      alerts: this.alerts(d),
      thumbnail:
        at === undefined
          ? null
          : { url: `/api/v1/devices/${encodeURIComponent(d.id)}/thumbnail?v=${at}`, at: new Date(at).toISOString() },
    };
  }

  views(): FleetDevice[] {
    return [...this.k.liveness.devices.values()].map((l) => this.view(l.row));
  }

  overview(views: FleetDevice[] = this.views()): FleetOverview {
    const o: FleetOverview = { devices: 0, up: 0, late: 0, down: 0, new: 0, maintenance: 0, alerts_firing: 0 };
    for (const v of views) {
      o.devices++;
      o[v.state]++;
      if (v.maintenance) o.maintenance++;
      o.alerts_firing += v.alerts.length;
    }
    return o;
  }

  /** Where `device`/`removed` messages go (the live stream), while it has clients. */
  out: { active(): boolean; send(m: StreamMessage): void } | null = null;

  /** The whole fleet, for a new stream client; what later messages are compared with. */
  snapshot(): StreamMessage {
    const devices = this.views();
    if (this.shown.size === 0) for (const v of devices) this.remember(v);
    return { type: "snapshot", overview: this.overview(devices), devices };
  }

  private remember(v: FleetDevice): void {
    this.shown.set(v.id, shownKey(v));
    this.counted.set(v.id, { state: v.state, maintenance: v.maintenance, alerts: v.alerts.length });
  }

  /** The overview from what was last shown of each device (no view is rebuilt). */
  private shownOverview(): FleetOverview {
    const o: FleetOverview = { devices: 0, up: 0, late: 0, down: 0, new: 0, maintenance: 0, alerts_firing: 0 };
    for (const c of this.counted.values()) {
      o.devices++;
      o[c.state]++;
      if (c.maintenance) o.maintenance++;
      o.alerts_firing += c.alerts;
    }
    return o;
  }

  /** Some devices may look different now (a push, a state change, a silence, an alert). */
  changed(ids?: Iterable<string>): void {
    if (!this.out?.active()) {
      this.shown.clear();
      this.counted.clear();
      return;
    }
    const list = ids ? [...ids] : [...this.k.liveness.devices.keys()];
    for (const id of list) {
      const live = this.k.liveness.devices.get(id);
      if (!live) continue;
      const v = this.view(live.row);
      if (this.shown.get(id) === shownKey(v)) continue;
      this.remember(v);
      this.emit({ type: "device", overview: this.shownOverview(), device: v });
    }
  }

  removed(id: string): void {
    this.summaries.delete(id);
    this.pushed.delete(id);
    this.thumbs.delete(id);
    this.counted.delete(id);
    if (!this.out?.active() || !this.shown.delete(id)) return;
    this.emit({ type: "removed", overview: this.shownOverview(), id });
  }

  private emit(m: StreamMessage): void {
    this.out?.send(m);
  }
}

/** What counts as "changed" for the stream: everything shown but the per-push counters. */
function shownKey(v: FleetDevice): string {
  const { last_seen: _l, pushes: _p, clock_offset_seconds: _c, ...rest } = v;
  return JSON.stringify(rest);
}
