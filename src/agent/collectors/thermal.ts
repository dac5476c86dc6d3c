import { join } from "node:path";
import { z } from "zod";
import type { JsonObject } from "../../protocol/json.ts";
import type { ThermalData, ThermalZone } from "./data.ts";
import { listDir, readText } from "./read.ts";
import { type Collector, defineCollector, enabled, essential, gauge, interval } from "./types.ts";

export type { ThermalData, ThermalZone };

/** Zone types that are the CPU/SoC sensor on common boards (Raspberry Pi: "cpu-thermal"). */
const CPU_TYPES = /^(cpu|soc|x86_pkg_temp|cpu[-_]thermal|cpu0?-thermal|package)/i;

const schema = () =>
  z
    .strictObject({
      enabled: enabled("thermal"),
      interval: interval("30s", "thermal"),
      essential: essential(true),
    })
    .prefault({})
    .describe("Temperatures from /sys/class/thermal/thermal_zone*/temp (one small read; keeps running while encoding)");

export type ThermalConfig = z.output<ReturnType<typeof schema>>;

export const thermalCollector = defineCollector("thermal", schema, (c): Collector<ThermalData> | null => {
  if (!c.enabled) return null;
  return {
    name: "thermal",
    essential: c.essential,
    intervalMs: c.interval,
    async collect(ctx): Promise<ThermalData> {
      const base = join(ctx.sysRoot, "class", "thermal");
      const names = (await listDir(base)).filter((n) => /^thermal_zone\d+$/.test(n));
      names.sort((a, b) => Number(a.slice(12)) - Number(b.slice(12)));
      const zones: ThermalZone[] = [];
      for (const zone of names) {
        const [temp, type] = await Promise.all([
          readText(join(base, zone, "temp"), ctx.signal).catch(() => null),
          readText(join(base, zone, "type"), ctx.signal).catch(() => null),
        ]);
        const milli = temp === null ? Number.NaN : Number(temp.trim());
        // thermal_zone*/temp is millidegrees Celsius.
        zones.push({
          zone,
          type: type?.trim() || null,
          celsius: Number.isFinite(milli) && temp?.trim() ? milli / 1000 : null,
        });
      }
      const withTemp = zones.filter((z) => typeof z.celsius === "number");
      const cpu = withTemp.find((z) => CPU_TYPES.test(String(z.type ?? ""))) ?? withTemp[0] ?? null;
      return { cpu_temperature_celsius: cpu?.celsius ?? null, cpu_zone: cpu?.zone ?? null, zones };
    },
    metrics(d) {
      const zones = (Array.isArray(d.zones) ? d.zones : []) as JsonObject[];
      const samples = zones
        .filter((z) => typeof z.celsius === "number")
        .map((z) => ({ labels: { zone: String(z.zone), type: String(z.type ?? "") }, value: z.celsius as number }));
      return [
        ...gauge("edgewatch_cpu_temperature_celsius", "CPU/SoC temperature (thermal zone)", d.cpu_temperature_celsius),
        ...(samples.length
          ? [
              {
                name: "edgewatch_thermal_zone_celsius",
                help: "Every thermal zone's temperature",
                type: "gauge" as const,
                samples,
              },
            ]
          : []),
      ];
    },
  };
});
