// `edgewatch status` with no arguments: the one-screen device summary, piped (golden text) and --json,
// without an agent and with a real one answering on its HTTP port.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { parse } from "yaml";
import { startAgent } from "../../src/agent/agent.ts";
import { validateConfig } from "../../src/agent/config.ts";
import { emitEvent } from "../../src/protocol/events.ts";
import { updateStatus } from "../../src/protocol/fragment.ts";
import { tempDir, waitFor } from "../helpers/tools.ts";

const MAIN = join(process.cwd(), "src", "cli", "main.ts");

function ew(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", MAIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, EDGEWATCH_CONFIG: "", EDGEWATCH_DIR: "", NO_COLOR: "" },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function ewAsync(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
      env: { ...process.env, EDGEWATCH_CONFIG: "", EDGEWATCH_DIR: "" },
    });
    let out = "";
    let err = "";
    c.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    c.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    c.on("close", (code) => resolve({ code, out, err }));
  });
}

/** A port nothing listens on (bound, then closed). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A device as a status dir, a state dir, a sysfs with one thermal zone, and a config naming them. */
async function device(t: TestContext, port: number) {
  const root = tempDir(t, "ew-summary-");
  const sys = join(root, "sys", "class", "thermal", "thermal_zone0");
  mkdirSync(sys, { recursive: true });
  writeFileSync(join(sys, "temp"), "45200\n");
  writeFileSync(join(sys, "type"), "cpu-thermal\n");
  const statusDir = join(root, "run");
  const stateDir = join(root, "state");
  // two hours: the text says "2 h ago" for the next half hour, however slow this machine is
  const twoHoursAgo = new Date(Date.now() - 7_200_000);
  await updateStatus(
    "timelapse",
    {
      status: "capturing",
      today: { photos_captured: 342, expected_photos: 750 },
      last_capture: { time: twoHoursAgo.toISOString(), filename: "20260208_Pi0Cam_0342.jpg" },
    },
    { dir: statusDir },
  );
  utimesSync(join(statusDir, "status.d", "timelapse.json"), twoHoursAgo, twoHoursAgo);
  const cfg = join(root, "config.yaml");
  writeFileSync(
    cfg,
    `device: { id: Pi0Cam, site: cabin }
status_dir: ${statusDir}
state_dir: ${stateDir}
http: { bind: 127.0.0.1, port: ${port} }
collectors: { sys_root: ${join(root, "sys")}, system: { mounts: ["${root}"] } }
recovery:
  startup_grace: 0
  sd_notify: false
  reboots_per_day: 2
  watches:
    - { name: capture, source: timelapse, stale_after: 30s }
    - { name: uploader, pidfile: ${join(root, "uploader.pid")} }
`,
  );
  writeFileSync(join(root, "uploader.pid"), "999999999\n");
  return { root, cfg, statusDir, stateDir };
}

test("edgewatch status, piped, agent stopped: the golden one-screen summary from files alone", async (t) => {
  const port = await closedPort();
  const d = await device(t, port);
  // What a stopped agent left: one firing alert saved, one automatic reboot an hour ago.
  mkdirSync(join(d.stateDir, "alerts"), { recursive: true });
  writeFileSync(
    join(d.stateDir, "alerts", "state.json"),
    JSON.stringify({
      version: 1,
      instances: [
        { id: "disk", rule: "disk", severity: "warning", state: "firing", summary: "disk / at 91% used" },
        { id: "cpu", rule: "cpu", severity: "warning", state: "pending", summary: "cpu at 95%" },
      ],
    }),
  );
  mkdirSync(join(d.stateDir, "recovery"), { recursive: true });
  writeFileSync(
    join(d.stateDir, "recovery", "reboots.json"),
    JSON.stringify({ reboots: [new Date(Date.now() - 3_600_000).toISOString()] }),
  );
  const r = ew(["status", "--config", d.cfg]);
  assert.equal(r.code, 0, r.err);
  assert.ok(!r.out.includes("\x1b["), "no colour when piped");
  const text = r.out
    .replaceAll(d.root, "{ROOT}")
    .replaceAll(String(port), "{PORT}")
    .replace(/\{ROOT\} \d+(\.\d)?% used, \d+\.\d GB free/, "{ROOT} {PCT}% used, {GB} GB free");
  assert.equal(
    text,
    `Pi0Cam (cabin): capturing
Today     342 of 750 photos (46%), last capture 2 h ago (20260208_Pi0Cam_0342.jpg)
Agent     not answering at http://127.0.0.1:{PORT}: shown from files; alerts as last saved
Watches   FAIL capture      heartbeat 2 h ago (stale after 30 s)
          FAIL uploader     process 999999999 is not running
Sources   timelapse 2 h ago
Disk      {ROOT} {PCT}% used, {GB} GB free
Temp      45.2 °C
Alerts    1 firing (as last saved)
          WARNING disk / at 91% used
Errors    only the running agent keeps them (see journalctl -u edgewatch-agent)
Reboots   1 of 2 automatic reboots used in the last 24 h
`,
  );
  const typo = ew(["status", "--config", d.cfg, "--dir", join(d.root, "typo")]);
  assert.equal(typo.code, 1);
  assert.match(typo.err, /status directory \S+typo does not exist/);
});

test("edgewatch status --json with a real agent running: its watch phases, alerts firing now and errors", {
  timeout: 120_000,
}, async (t) => {
  const port = await closedPort();
  const d = await device(t, port);
  const config = validateConfig(parse(readFileSync(d.cfg, "utf8")), d.cfg);
  const agent = await startAgent(config, {
    port,
    host: "127.0.0.1",
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });
  t.after(() => agent.stop());
  await emitEvent(
    "timelapse",
    { level: "error", message: "video encoding failed: ffmpeg exited 1", code: "VID-001" },
    {
      dir: d.statusDir,
    },
  );
  await waitFor("the error to be taken in", async () => {
    const res = await fetch(`${agent.url}/api/alerts`);
    return ((await res.json()) as { firing: unknown[] }).firing.length > 0;
  });
  // Asynchronously: the agent answers from this very process.
  const r = await ewAsync(["status", "--json", "--config", d.cfg]);
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out);
  assert.deepEqual(s.agent, { url: `http://127.0.0.1:${port}`, running: true });
  assert.equal(s.status, "capturing");
  assert.deepEqual(s.today, { photos_captured: 342, expected_photos: 750 });
  assert.equal(s.alerts.from, "agent");
  assert.ok(s.alerts.firing.some((a: { summary: string }) => /ffmpeg exited 1/.test(a.summary)));
  assert.deepEqual(
    s.errors.map((e: { source: string; message: string }) => `${e.source}: ${e.message}`),
    ["timelapse: video encoding failed: ffmpeg exited 1"],
  );
  const uploader = s.watches.find((w: { name: string }) => w.name === "uploader");
  assert.equal(uploader.healthy, false);
  assert.match(uploader.detail, /process 999999999 \(from \S+uploader\.pid\) is not running/, "the agent's own reason");
  assert.equal(s.temperature_celsius, 45.2);
  assert.deepEqual(s.reboot_guard, { reboots_last_24h: 0, limit: 2, allowed: true, problem: null });
  assert.equal(s.disks.length, 1);
  assert.equal(typeof s.disks[0].free_bytes, "number");
});

test("on a terminal the summary is coloured: problems red, healthy green", async (t) => {
  const d = await device(t, await closedPort());
  const { gatherSummary } = await import("../../src/cli/status-summary/gather.ts");
  const { renderSummary } = await import("../../src/cli/status-summary/render.ts");
  const config = validateConfig(parse(readFileSync(d.cfg, "utf8")), d.cfg);
  const s = await gatherSummary(config, d.statusDir);
  const text = renderSummary(s, true);
  const esc = "\x1b[";
  assert.ok(text.includes(`${esc}31mFAIL${esc}0m capture`), text);
  assert.ok(text.startsWith(`${esc}1mPi0Cam (cabin): capturing${esc}0m\n`), text);
  assert.equal(renderSummary(s, false).includes("\x1b["), false);
});
