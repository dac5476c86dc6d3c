import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { decodeThrottled, parseThrottledText, rpiPowerCollector } from "../../../src/agent/collectors/rpi_power.ts";
import { thermalCollector } from "../../../src/agent/collectors/thermal.ts";
import { tempDir } from "../../helpers/tools.ts";
import { collectOnce, config, FIXTURES } from "./helpers.ts";

const sys = (tree: string) => join(FIXTURES, tree, "sys");

test("thermal: Raspberry Pi thermal zone (millidegrees) → °C, with its type", async () => {
  const cfg = config({ sys_root: sys("pi4-healthy") });
  const c = thermalCollector(cfg);
  assert.ok(c);
  const d = await collectOnce(c, cfg);
  assert.equal(d.cpu_temperature_celsius, 48.85);
  assert.equal(d.cpu_zone, "thermal_zone0");
  assert.deepEqual(d.zones, [{ zone: "thermal_zone0", type: "cpu-thermal", celsius: 48.85 }]);
  const fams = c.metrics?.(d) ?? [];
  assert.deepEqual(fams.find((f) => f.name === "edgewatch_cpu_temperature_celsius")?.samples, [{ value: 48.85 }]);
});

test("thermal: no thermal zones (this VM, a container) is no data, not an error", async (t) => {
  const cfg = config({ sys_root: tempDir(t) });
  const c = thermalCollector(cfg);
  assert.ok(c);
  const d = await collectOnce(c, cfg);
  assert.deepEqual(d, { cpu_temperature_celsius: null, cpu_zone: null, zones: [] });
  assert.deepEqual(c.metrics?.(d), []);
});

test("thermal: the CPU zone is picked by type; an unreadable zone does not hide the others", async (t) => {
  const root = tempDir(t);
  const zone = (n: number, type: string, temp: string | null) => {
    const d = join(root, "class", "thermal", `thermal_zone${n}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, "type"), `${type}\n`);
    if (temp !== null) writeFileSync(join(d, "temp"), `${temp}\n`);
  };
  zone(0, "acpitz", "27800");
  zone(1, "x86_pkg_temp", "55000");
  zone(2, "iwlwifi_1", "garbage");
  zone(10, "battery", null);
  const cfg = config({ sys_root: root });
  const c = thermalCollector(cfg);
  assert.ok(c);
  const d = await collectOnce(c, cfg);
  assert.equal(d.cpu_temperature_celsius, 55);
  assert.equal(d.cpu_zone, "thermal_zone1");
  assert.deepEqual(
    (d.zones as { zone: string; celsius: unknown }[]).map((z) => [z.zone, z.celsius]),
    [
      ["thermal_zone0", 27.8],
      ["thermal_zone1", 55],
      ["thermal_zone2", null],
      ["thermal_zone10", null],
    ],
  );
});

test("rpi_power: get_throttled bits 0–3 now, 16–19 since boot", () => {
  const d = decodeThrottled(0x50005);
  assert.deepEqual(d.now, {
    under_voltage: true,
    arm_frequency_capped: false,
    throttled: true,
    soft_temperature_limit: false,
  });
  assert.deepEqual(d.since_boot, {
    under_voltage: true,
    arm_frequency_capped: false,
    throttled: true,
    soft_temperature_limit: false,
  });
  const all = decodeThrottled(0xf000f);
  assert.ok(Object.values(all.now).every((v) => v === true));
  assert.ok(Object.values(all.since_boot).every((v) => v === true));
  const pastOnly = decodeThrottled(0x80000);
  assert.equal(pastOnly.since_boot.soft_temperature_limit, true);
  assert.ok(Object.values(pastOnly.now).every((v) => v === false));
  assert.equal(parseThrottledText("0x50005\n"), 0x50005);
  assert.equal(parseThrottledText("50005\n"), 0x50005);
  assert.equal(parseThrottledText("throttled=0x0"), null);
  assert.equal(parseThrottledText(""), null);
});

test("rpi_power: healthy Pi 4 fixture: every flag false, source get_throttled", async () => {
  const cfg = config({ sys_root: sys("pi4-healthy") });
  const c = rpiPowerCollector(cfg);
  assert.ok(c);
  const d = await collectOnce(c, cfg);
  assert.equal(d.source, "get_throttled");
  assert.equal(d.raw, "0x0");
  assert.equal(d.under_voltage_alarm, false);
  assert.ok(Object.values(d.now as object).every((v) => v === false));
  const fam = c.metrics?.(d)[0];
  assert.equal(fam?.name, "edgewatch_rpi_throttled");
  assert.equal(fam?.samples.length, 8);
  assert.ok(fam?.samples.every((s) => s.value === 0));
});

test("rpi_power: under-voltage Pi 4 fixture (0x50005, rpi_volt alarm 1)", async () => {
  const cfg = config({ sys_root: sys("pi4-undervolt") });
  const c = rpiPowerCollector(cfg);
  assert.ok(c);
  const d = await collectOnce(c, cfg);
  assert.equal(d.raw, "0x50005");
  assert.equal(d.under_voltage_alarm, true);
  assert.equal((d.now as Record<string, boolean>).under_voltage, true);
  assert.equal((d.now as Record<string, boolean>).throttled, true);
  assert.equal((d.since_boot as Record<string, boolean>).under_voltage, true);
  const samples = c.metrics?.(d)[0]?.samples ?? [];
  const on = samples.filter((s) => s.value === 1).map((s) => `${s.labels?.condition}/${s.labels?.when}`);
  assert.deepEqual(on.sort(), [
    "throttled/now",
    "throttled/since_boot",
    "under_voltage/now",
    "under_voltage/since_boot",
  ]);
});

test("rpi_power: only hwmon rpi_volt (no firmware file): under-voltage now from in0_lcrit_alarm, the rest no data", async () => {
  const cfg = config({ sys_root: sys("pi-zero-hwmon-only") });
  const c = rpiPowerCollector(cfg);
  assert.ok(c);
  const d = await collectOnce(c, cfg);
  assert.equal(d.source, "hwmon");
  assert.deepEqual(d.now, {
    under_voltage: true,
    arm_frequency_capped: null,
    throttled: null,
    soft_temperature_limit: null,
  });
  const samples = c.metrics?.(d)[0]?.samples ?? [];
  assert.deepEqual(samples, [{ labels: { condition: "under_voltage", when: "now" }, value: 1 }]);
});

test("rpi_power: not a Pi (no files) and a garbled get_throttled are no data, not errors", async (t) => {
  const empty = tempDir(t);
  let cfg = config({ sys_root: empty });
  let c = rpiPowerCollector(cfg);
  assert.ok(c);
  let d = await collectOnce(c, cfg);
  assert.equal(d.source, null);
  assert.deepEqual(c.metrics?.(d), []);

  const bad = tempDir(t);
  const fw = join(bad, "devices", "platform", "soc", "soc:firmware");
  mkdirSync(fw, { recursive: true });
  writeFileSync(join(fw, "get_throttled"), "not hex\n");
  cfg = config({ sys_root: bad });
  c = rpiPowerCollector(cfg);
  assert.ok(c);
  d = await collectOnce(c, cfg);
  assert.equal(d.source, null);
  assert.equal(d.error, 'get_throttled: expected a hex word like "50005", got "not hex"');
});
