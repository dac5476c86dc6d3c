import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { updateStatus } from "../../../src/protocol/fragment.ts";
import { requireTool, waitFor } from "../../helpers/tools.ts";
import { get, startTestAgent, until } from "./helpers.ts";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function query(base: string, q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const r = await get(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = r.json<{
    status: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  }>();
  assert.equal(body.status, "success", r.body);
  return body.data.result;
}

test("real Prometheus scrapes the agent; its query API returns the photos count a writer just set", {
  timeout: 240_000,
}, async (t) => {
  const prometheus = requireTool(t, "prometheus");
  if (!prometheus) return;
  const a = await startTestAgent(t);
  const target = new URL(a.url).host;
  const port = await freePort();
  const cfg = join(a.dir, "prometheus.yml");
  writeFileSync(
    cfg,
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: edgewatch\n    scrape_interval: 1s\n    static_configs:\n      - targets: ["${target}"]\n`,
  );
  const proc: ChildProcess = spawn(
    prometheus,
    [
      `--config.file=${cfg}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${join(a.dir, "tsdb")}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  proc.stderr?.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  t.after(() => {
    proc.kill("SIGTERM");
  });
  const base = `http://127.0.0.1:${port}`;

  await updateStatus("timelapse", { status: "capturing", today: { photos_captured: 17 } }, { dir: a.statusDir });
  const first = await until(
    `Prometheus to see edgewatch_photos_captured_today = 17 (prometheus stderr: ${stderr})`,
    async () => {
      const r = await query(base, 'edgewatch_photos_captured_today{device="pi-test",site="lab"}');
      return r[0]?.value[1] === "17" ? r : null;
    },
    120_000,
  );
  assert.equal(first.length, 1);
  assert.equal(first[0]?.metric.job, "edgewatch");

  // a new value written through the protocol reaches Prometheus too
  await updateStatus("timelapse", { today: { photos_captured: 4242 } }, { dir: a.statusDir });
  await waitFor(
    "Prometheus to see edgewatch_photos_captured_today = 4242",
    async () => (await query(base, "edgewatch_photos_captured_today"))[0]?.value[1] === "4242",
    120_000,
  );

  // the scrape itself is clean: target up, no scrape error, status series present
  const targets = (await get(`${base}/api/v1/targets`)).json<{
    data: { activeTargets: { health: string; lastError: string }[] };
  }>();
  assert.equal(targets.data.activeTargets[0]?.health, "up");
  assert.equal(targets.data.activeTargets[0]?.lastError, "");
  const status = await query(base, 'edgewatch_device_status{status="capturing"}');
  assert.equal(status[0]?.value[1], "1");
  assert.equal((await query(base, "edgewatch_up"))[0]?.value[1], "1");
});
