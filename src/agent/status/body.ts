import { uptime } from "node:os";
import { toJson } from "../../protocol/json.ts";
import type { Config } from "../config.ts";
import { liveFields } from "../core/index.ts";
import type { RecentError } from "../module.ts";
import type { DeviceState } from "../state.ts";

/**
 * The /status body, serialized once per change (document, collector sample, warning) instead of per
 * request; only uptime_seconds is spliced in per request.
 */
export class StatusBody {
  private rest: string | null = null;
  private expiresAt = Number.POSITIVE_INFINITY;
  private readonly bootMs = Date.now() - uptime() * 1000;

  constructor(
    private readonly state: DeviceState,
    private readonly config: Config,
    /** The agent's recent errors: the body expires when the oldest leaves the hour. */
    private readonly errors: readonly RecentError[],
  ) {}

  invalidate(): void {
    this.rest = null;
  }

  body(now = Date.now()): string {
    if (this.rest === null || now >= this.expiresAt) {
      const { device_id, site, ...doc } = this.state.document;
      const live = liveFields(this.state);
      const { errors, sources, agent, ...fields } = doc;
      const tail = toJson({ ...fields, ...live, errors, sources, agent });
      const head = JSON.stringify({
        device_id: device_id ?? this.config.device.id,
        site: site ?? this.config.device.site,
      });
      this.rest = `${head.slice(0, -1)},"uptime_seconds":\u0000${tail.length > 2 ? `,${tail.slice(1)}` : "}"}`;
      const oldest = this.errors[0];
      this.expiresAt = oldest ? Date.parse(oldest.time) + 3_600_000 : Number.POSITIVE_INFINITY;
    }
    return this.rest.replace("\u0000", String(Math.round((now - this.bootMs) / 1000)));
  }
}
