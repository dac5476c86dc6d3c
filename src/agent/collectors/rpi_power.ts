import { join } from "node:path";
import { z } from "zod";
import type { MetricFamily } from "../../lib/metrics.ts";
import type { JsonObject } from "../../protocol/json.ts";
import type { RpiPowerData, ThrottleFlags } from "./data.ts";
import { listDir, readText } from "./read.ts";
import { type Collector, defineCollector, enabled, essential, interval } from "./types.ts";

export type { RpiPowerData, ThrottleFlags };

/** get_throttled bit layout (Raspberry Pi firmware): bits 0–3 now, bits 16–19 "has occurred since boot". */
export const THROTTLE_CONDITIONS = [
  "under_voltage",
  "arm_frequency_capped",
  "throttled",
  "soft_temperature_limit",
] as const;

/** Decode the firmware's throttled word ("50005" or "0x50005", hex) into now / since_boot flags. */
export function decodeThrottled(word: number): { now: ThrottleFlags; since_boot: ThrottleFlags } {
  const now = nulls();
  const since = nulls();
  THROTTLE_CONDITIONS.forEach((name, bit) => {
    now[name] = (word & (1 << bit)) !== 0;
    since[name] = (word & (1 << (bit + 16))) !== 0;
  });
  return { now, since_boot: since };
}

export function parseThrottledText(text: string): number | null {
  const t = text.trim().toLowerCase().replace(/^0x/, "");
  if (!/^[0-9a-f]{1,8}$/.test(t)) return null;
  return Number.parseInt(t, 16);
}

/** hwmon device named rpi_volt: in0_lcrit_alarm is 1 while the firmware reports under-voltage. */
async function rpiVoltAlarm(sysRoot: string, signal: AbortSignal): Promise<boolean | null> {
  const base = join(sysRoot, "class", "hwmon");
  for (const dev of await listDir(base)) {
    const name = await readText(join(base, dev, "name"), signal).catch(() => null);
    if (name?.trim() !== "rpi_volt") continue;
    const alarm = await readText(join(base, dev, "in0_lcrit_alarm"), signal).catch(() => null);
    if (alarm === null) return null;
    const v = alarm.trim();
    return v === "1" ? true : v === "0" ? false : null;
  }
  return null;
}

function nulls(): ThrottleFlags {
  return Object.fromEntries(THROTTLE_CONDITIONS.map((c) => [c, null])) as ThrottleFlags;
}

const schema = () =>
  z
    .strictObject({
      enabled: enabled("Raspberry Pi power"),
      interval: interval("60s", "Raspberry Pi power"),
      essential: essential(true),
    })
    .prefault({})
    .describe("Raspberry Pi under-voltage and throttling (get_throttled, hwmon rpi_volt); no data on other hardware");

export type RpiPowerConfig = z.output<ReturnType<typeof schema>>;

export const rpiPowerCollector = defineCollector("rpi_power", schema, (c): Collector<RpiPowerData> | null => {
  if (!c.enabled) return null;
  return {
    name: "rpi_power",
    essential: c.essential,
    intervalMs: c.interval,
    async collect(ctx): Promise<RpiPowerData> {
      const text = await readText(
        join(ctx.sysRoot, "devices", "platform", "soc", "soc:firmware", "get_throttled"),
        ctx.signal,
      ).catch(() => null);
      const word = text === null ? null : parseThrottledText(text);
      const alarm = await rpiVoltAlarm(ctx.sysRoot, ctx.signal);
      const problem =
        text !== null && word === null
          ? `get_throttled: expected a hex word like "50005", got ${JSON.stringify(text.trim().slice(0, 40))}`
          : null;
      if (word === null && alarm === null) {
        // Not a Raspberry Pi (or the interfaces are not exposed): no data.
        return {
          source: null,
          raw: null,
          now: nulls(),
          since_boot: nulls(),
          under_voltage_alarm: null,
          ...(problem ? { error: problem } : {}),
        };
      }
      if (word !== null) {
        const decoded = decodeThrottled(word);
        // When hwmon says under-voltage right now, trust it even if the firmware word lags.
        if (alarm === true) decoded.now.under_voltage = true;
        return {
          source: "get_throttled",
          raw: `0x${word.toString(16)}`,
          ...decoded,
          under_voltage_alarm: alarm,
        };
      }
      return {
        source: "hwmon",
        raw: null,
        now: { ...nulls(), under_voltage: alarm },
        since_boot: nulls(),
        under_voltage_alarm: alarm,
        ...(problem ? { error: problem } : {}),
      };
    },
    metrics(d) {
      if (d.source === null) return [];
      const samples: MetricFamily["samples"] = [];
      for (const when of ["now", "since_boot"] as const) {
        const flags = (d[when] ?? {}) as JsonObject;
        for (const condition of THROTTLE_CONDITIONS) {
          const v = flags[condition];
          if (typeof v === "boolean") samples.push({ labels: { condition, when }, value: v ? 1 : 0 });
        }
      }
      return samples.length
        ? [
            {
              name: "edgewatch_rpi_throttled",
              help: "Raspberry Pi power/thermal condition (1 = set): under_voltage, arm_frequency_capped, throttled, soft_temperature_limit; now or since boot",
              type: "gauge",
              samples,
            },
          ]
        : [];
    },
  };
});
