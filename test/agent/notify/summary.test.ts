// The daily summary through the real path: the agent process (bin/edgewatch agent; `node scripts/build.mjs`
// first) with its real collectors, its clock started just before the summary time by libfaketime.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { updateStatus } from "../../../src/protocol/fragment.ts";
import { requireTool, tempDir, waitFor } from "../../helpers/tools.ts";
import { webhookServer } from "./contracts.ts";

const BIN = join(process.cwd(), "bin", "edgewatch");

test("daily summary: Disk is what the agent's system collector measures, not a field writers never send", {
  timeout: 180_000,
}, async (t) => {
  const faketime = requireTool(t, "faketime", "faketime");
  if (!faketime) return;
  const dir = tempDir(t, "ew-summary-");
  const hook = await webhookServer(t);
  const statusDir = join(dir, "status");
  mkdirSync(join(statusDir, "status.d"), { recursive: true });
  // The writers report photos, video and backup, but not the disk: that is the agent's job.
  await updateStatus(
    "manager",
    {
      today: { photos_captured: 750, expected_photos: 750 },
      last_video: { duration_seconds: 32, backed_up: true, youtube_url: "https://youtu.be/abc123" },
    },
    { dir: statusDir },
  );
  const cfg = join(dir, "agent.yaml");
  writeFileSync(
    cfg,
    `device: { id: Pi0Cam, site: lab }
status_dir: ${statusDir}
state_dir: ${join(dir, "state")}
http: { bind: 127.0.0.1, port: 0 }
collectors: { system: { interval: 1s, mounts: ["${dir}"] } }
notify:
  daily_summary: { enabled: true, time: "23:00" }
  channels: [{ type: webhook, url: "${hook.url}/hook" }]
`,
  );
  // Local time 22:59:50 (TZ=UTC); the monotonic clock, which timers use, stays real.
  const child = spawn(faketime, ["-f", "@2026-02-08 22:59:50", process.execPath, BIN, "agent", "--config", cfg], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, TZ: "UTC", FAKETIME_DONT_FAKE_MONOTONIC: "1" },
    // faketime forks the agent as its child: kill the whole group, or the agent outlives the test
    detached: true,
  });
  let log = "";
  child.stderr?.on("data", (d: Buffer) => {
    log += d.toString();
  });
  t.after(() => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // the group is already gone
    }
  });
  const summary = (await waitFor(
    "the daily summary",
    () => hook.accepted.find((r) => r.json.kind === "daily_summary")?.json,
    120_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\nagent log:\n${log}`);
  })) as { message: string };
  const lines = summary.message.split("\n");
  assert.equal(lines[0], "Pi0Cam Daily Summary - 2026-02-08");
  assert.equal(lines[2], "Photos: 750 captured of 750 expected");
  assert.equal(lines[5], "Backup: Complete");
  // The same figures measured here (df's arithmetic); the disk may move a little meanwhile.
  const s = statfsSync(dir);
  const used = (s.blocks - s.bfree) * s.bsize;
  const avail = s.bavail * s.bsize;
  const m = /^Disk: (\d+)% used \((\d+\.\d)GB free\)$/.exec(lines[4] ?? "");
  assert.ok(m, `a measured disk line, got ${JSON.stringify(lines[4])}`);
  assert.ok(Math.abs(Number(m[1]) - (used / (used + avail)) * 100) <= 1, `${m[1]}% vs statfs`);
  assert.ok(Math.abs(Number(m[2]) - avail / 1e9) <= 0.5, `${m[2]} GB vs statfs ${avail / 1e9}`);
});
