// Wall-clock steps (NTP's first sync on a Pi without an RTC) against the real agent process, its
// clock set by libfaketime (Debian's faketime; monotonic clock left alone) and stepped while it runs.
// Heartbeat files are written by this test process, on the real clock.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { writeFragment } from "../../../src/protocol/fragment.ts";
import { requireTool, tempDir, waitFor } from "../../helpers/tools.ts";

const BIN = join(process.cwd(), "bin", "edgewatch");

/** libfaketime's multi-threaded preload library (Node runs threads), wherever the multiarch dir is. */
function faketimeLib(t: TestContext): string | null {
  if (!requireTool(t, "faketime")) return null;
  for (const d of readdirSync("/usr/lib")) {
    const p = join("/usr/lib", d, "faketime", "libfaketimeMT.so.1");
    if (existsSync(p)) return p;
  }
  throw new Error("faketime is installed but libfaketimeMT.so.1 was not found under /usr/lib/*/faketime");
}

interface Agent {
  url: string;
  out: () => string;
  /** Set the agent's wall clock to real time + `offset` ("+1h", "-1h", "+0"). */
  step(offset: string): void;
  get<T>(path: string): Promise<T>;
}

async function startFaked(t: TestContext, lib: string): Promise<Agent & { dir: string }> {
  const dir = tempDir(t, "ew-clock-");
  const clockFile = join(dir, "faketime");
  writeFileSync(clockFile, "+0\n");
  const cfg = join(dir, "agent.yaml");
  writeFileSync(
    cfg,
    `device: { id: pi-clock, site: lab }
status_dir: ${join(dir, "status")}
state_dir: ${join(dir, "state")}
http: { bind: 127.0.0.1, port: 0 }
alerts:
  rules:
    heartbeat_stale: { sources: { cam: 4s } }
recovery:
  startup_grace: 0s
  sd_notify: false
  watches:
    - { name: cam, source: cam, stale_after: 4s, escalate: alert }
`,
  );
  const child: ChildProcess = spawn(process.execPath, [BIN, "agent", "--config", cfg], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      LD_PRELOAD: lib,
      FAKETIME_TIMESTAMP_FILE: clockFile,
      FAKETIME_NO_CACHE: "1",
      FAKETIME_DONT_FAKE_MONOTONIC: "1",
    },
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
  });
  const url = (await waitFor(
    "agent listening",
    () => /"url":"(http:[^"]+)"/.exec(out)?.[1] ?? (child.exitCode !== null ? "exited" : null),
    120_000,
  )) as string;
  assert.notEqual(url, "exited", out);
  return {
    dir,
    url,
    out: () => out,
    step: (offset) => writeFileSync(clockFile, `${offset}\n`),
    get: async <T>(path: string) => (await (await fetch(`${url}${path}`)).json()) as T,
  };
}

interface Alerts {
  firing: { id: string }[];
  history: { id: string; state: string }[];
}
interface Recovery {
  watches: { name: string; phase: string; healthy: boolean; last_beat: string | null }[];
}

test("clock stepped back an hour: a frozen program is still found stale after stale_after", {
  timeout: 300_000,
}, async (t) => {
  const lib = faketimeLib(t);
  if (!lib) return;
  const a = await startFaked(t, lib);
  await writeFragment("cam", { state: "running" }, { dir: join(a.dir, "status") });
  await waitFor("the watch saw the beat", async () => {
    const r = await a.get<Recovery>("/api/recovery");
    return r.watches[0]?.healthy && r.watches[0].phase === "healthy" ? true : null;
  });
  a.step("-1h"); // the program is frozen from here on: no more writes
  const stale = await waitFor(
    "heartbeat_stale firing and the watch failing, within a minute (not an hour)",
    async () => {
      const al = await a.get<Alerts>("/api/alerts");
      const r = await a.get<Recovery>("/api/recovery");
      return al.firing.some((f) => f.id === "heartbeat_stale:cam") && r.watches[0]?.phase === "failing"
        ? { al, r }
        : null;
    },
    60_000,
  );
  assert.ok(stale);
  const metrics = await (await fetch(`${a.url}/metrics`)).text();
  const age = Number(/^edgewatch_heartbeat_age_seconds\{[^}]*source="cam"[^}]*\} (\S+)$/m.exec(metrics)?.[1]);
  assert.ok(age >= 4 && age < 600, `edgewatch_heartbeat_age_seconds for cam: ${age}`);
  assert.match(a.out(), /wall clock stepped back by 36\d\d\.\d s/, a.out());
});

test("clock stepped forward an hour: a healthy program raises no alert and no recovery step", {
  timeout: 300_000,
}, async (t) => {
  const lib = faketimeLib(t);
  if (!lib) return;
  const a = await startFaked(t, lib);
  const status = join(a.dir, "status");
  let beats = 0;
  const writer = setInterval(() => {
    beats++;
    void writeFragment("cam", { state: "running", beats }, { dir: status }).catch(() => {});
  }, 500);
  t.after(() => clearInterval(writer));
  await waitFor("the watch saw the beats", async () => {
    const r = await a.get<Recovery>("/api/recovery");
    return r.watches[0]?.phase === "healthy" && beats > 4 ? true : null;
  });
  a.step("+1h");
  // well past two stale_after periods of beats on the new clock
  const until = beats + 24;
  await waitFor("12 s more of beats", () => beats >= until, 60_000);
  const al = await a.get<Alerts>("/api/alerts");
  assert.deepEqual(
    al.history.filter((h) => h.id.startsWith("heartbeat_stale")),
    [],
    "no heartbeat_stale alert was ever raised",
  );
  const r = await a.get<Recovery>("/api/recovery");
  assert.equal(r.watches[0]?.phase, "healthy");
  const log = join(a.dir, "state", "recovery", "recovery.log");
  const steps = existsSync(log) ? readFileSync(log, "utf8") : "";
  assert.doesNotMatch(steps, /"step":"detected"/, steps);
  // the new time is what timestamps show
  assert.ok(Date.parse(r.watches[0]?.last_beat ?? "") > Date.now() + 3_000_000, String(r.watches[0]?.last_beat));
  // /metrics tells the same age
  const metrics = await (await fetch(`${a.url}/metrics`)).text();
  const age = Number(/^edgewatch_heartbeat_age_seconds\{[^}]*source="cam"[^}]*\} (\S+)$/m.exec(metrics)?.[1]);
  assert.ok(age >= 0 && age < 4, `edgewatch_heartbeat_age_seconds for cam: ${age}`);
  // and the step itself is logged as what it is
  assert.match(a.out(), /wall clock stepped forward by 36\d\d\.\d s/, a.out());
});
