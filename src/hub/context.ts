import type { HubAlerts } from "./alerts.ts";
import type { Audit } from "./audit.ts";
import type { HubConfig } from "./config.ts";
import type { Deadlines } from "./deadlines.ts";
import type { Fleet } from "./fleet.ts";
import type { Liveness } from "./liveness.ts";
import type { Pings } from "./pings.ts";
import type { Logger } from "./shared.ts";
import type { Shares } from "./shares.ts";
import type { HubStore } from "./store/types.ts";

/**
 * What the hub's parts (ingest, pings, /sd, the fleet API) see of the running hub. The kernel
 * implements it; the parts import this, never kernel.ts, so the kernel can wire them without a cycle.
 */
export interface HubContext {
  readonly config: HubConfig;
  readonly log: Logger;
  readonly store: HubStore;
  readonly alerts: HubAlerts;
  readonly liveness: Liveness;
  readonly pings: Pings;
  readonly fleet: Fleet;
  readonly audit: Audit;
  readonly shares: Shares;
  readonly deadlines: Deadlines;
  readonly enrollKey: string;
  readonly pingKey: string;
  readonly counters: { pushes: number; samples: number; rejected: Record<string, number> };
  byToken(hash: string): string | undefined;
  tokenFromStore(hash: string): Promise<string | undefined>;
  deviceChanged(id: string, now: number, pushed: boolean): Promise<void>;
  removeDevice(id: string): Promise<boolean>;
  silencesChanged(): Promise<void>;
}
