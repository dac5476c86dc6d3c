import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { validateConfig } from "../../../src/agent/config.ts";
import { createAction } from "../../../src/agent/recovery/actions/index.ts";
import { configuredActions, sudoersLines } from "../../../src/agent/recovery/install.ts";
import type { StepEntry } from "../../../src/agent/recovery/watch.ts";
import { tempDir, waitFor as waitForBase } from "../../helpers/tools.ts";
import { get, startTestAgent } from "../core/helpers.ts";
import { readLines, readSteps } from "./harness.ts";

const waitFor = <T>(what: string, check: () => T | Promise<T>) => waitForBase(what, check, 120_000);

// biome-ignore lint/suspicious/noExplicitAny: JSON answers from the agent, inspected field by field
type Json = any;

/** /proc/meminfo with this share of memory in use. */
const meminfo = (usedPct: number) =>
  `MemTotal:        1000000 kB\nMemFree:          10000 kB\nMemAvailable:    ${(100 - usedPct) * 10000} kB\n`;

test("real agent: memory critical for `for` runs the relief actions once (logged, alerted), restore runs when it is back", async (t) => {
  const dir = tempDir(t, "ew-emerg-");
  const proc = join(dir, "proc");
  mkdirSync(proc);
  writeFileSync(join(proc, "meminfo"), meminfo(50));
  const marks = join(dir, "marks");
  const a = await startTestAgent(t, {
    collectors: { proc_root: proc, system: { interval: "1s" } },
    recovery: {
      startup_grace: 0,
      sd_notify: false,
      emergency: {
        enabled: true,
        memory_percent: 95,
        for: "2s",
        actions: [
          { type: "command", argv: ["sh", "-c", 'echo relief-1 >> "$0"', marks] },
          { type: "command", argv: ["sh", "-c", 'echo relief-2 >> "$0"; exit 3', marks] },
          { type: "command", argv: ["sh", "-c", 'echo relief-3 >> "$0"', marks] },
        ],
        restore: [{ type: "command", argv: ["sh", "-c", 'echo restore >> "$0"', marks] }],
      },
    },
  });
  const log = join(a.stateDir, "recovery", "recovery.log");
  const recovery = async () => (await get(`${a.url}/api/recovery`)).json<Json>();
  await waitFor("a normal reading", async () => (await recovery()).emergency.last_reading?.memory_percent === 50);
  assert.equal(readLines(marks).length, 0);

  writeFileSync(join(proc, "meminfo"), meminfo(97));
  await waitFor("the relief actions", () => readLines(marks).length === 3);
  assert.deepEqual(readLines(marks), ["relief-1", "relief-2", "relief-3"], "a failing action does not stop the rest");
  const alert = (await waitFor("the emergency alert", () => a.state.alerts.get("recovery:emergency"))) as Json;
  assert.equal(alert.state, "firing");
  assert.equal(alert.severity, "critical");
  assert.match(alert.summary, /^emergency mode: memory 97% \(limit 95%\) for \d+ s; running relief actions$/);
  const steps = (await waitFor("the relief steps in the recovery log", () => {
    const l = readSteps(log).filter((e) => e.watch === "emergency");
    return l.length >= 4 ? l : null;
  })) as StepEntry[];
  assert.deepEqual(
    steps.map((e) => [e.step, e.result ?? null]),
    [
      ["emergency", null],
      ["emergency_action", "ok"],
      ["emergency_action", "failed"],
      ["emergency_action", "ok"],
    ],
  );
  const m = (await get(`${a.url}/metrics`)).body;
  assert.match(m, /^edgewatch_recovery_actions_total\{(?=[^}]*watch="emergency")(?=[^}]*result="failed")[^}]*\} 1$/m);

  writeFileSync(join(proc, "meminfo"), meminfo(60));
  await waitFor("restore", () => readLines(marks).includes("restore"));
  await waitFor("the alert resolved", () => a.state.alerts.get("recovery:emergency")?.state === "resolved");

  // Critical again at once: the cooldown (30 min by default) holds the next relief back.
  writeFileSync(join(proc, "meminfo"), meminfo(99));
  await waitFor("critical seen again", async () => (await recovery()).emergency.critical_since !== null);
  await new Promise((r) => setTimeout(r, 3500)); // past `for`: a run would happen now without the guard
  assert.equal(readLines(marks).filter((l) => l.startsWith("relief")).length, 3, "no second relief in the cooldown");
});

test("emergency mode is off by default; stop_unit and drop_caches are exact sudo argvs in the sudoers file", () => {
  const off = validateConfig({}, "t");
  assert.equal(off.recovery.emergency.enabled, false);
  const c = validateConfig(
    {
      recovery: {
        emergency: {
          enabled: true,
          actions: [{ type: "stop_unit", unit: "uploader.service" }, { type: "drop_caches" }],
        },
      },
    },
    "t",
  );
  assert.deepEqual(
    c.recovery.emergency.actions.map((s) => createAction(s).argvs[0]),
    [
      ["sudo", "/usr/bin/systemctl", "stop", "uploader.service"],
      ["sudo", "/usr/sbin/sysctl", "-w", "vm.drop_caches=3"],
    ],
  );
  assert.ok(configuredActions(c).some((a) => a.where === "recovery.emergency.actions[1]"));
  const { lines } = sudoersLines(c, "pi", (p) => `/usr/bin/${p}`);
  assert.ok(lines.includes("pi ALL=(root) NOPASSWD: /usr/bin/systemctl stop uploader.service"), lines.join("\n"));
  assert.ok(lines.includes("pi ALL=(root) NOPASSWD: /usr/sbin/sysctl -w vm.drop_caches\\=3"), lines.join("\n"));
  assert.throws(
    () => validateConfig({ recovery: { emergency: { actions: [{ type: "stop_unit", unit: "uploader" }] } } }, "t"),
    /expected a systemd unit name like "uploader\.service"/,
  );
});
