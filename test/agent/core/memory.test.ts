import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../helpers/tools.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");

test("no growth under repeated load: the heap in use after a full GC stays flat across rounds", {
  timeout: 300_000,
}, (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "status", "status.d"), { recursive: true });
  writeFileSync(
    join(dir, "status", "status.d", "timelapse.json"),
    JSON.stringify({ status: "capturing", today: { photos_captured: 7 } }),
  );
  const cfg = join(dir, "agent.yaml");
  writeFileSync(cfg, `status_dir: ${join(dir, "status")}\nstate_dir: ${join(dir, "state")}\n`);
  const r = spawnSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", join(ROOT, "test/agent/fixtures/heap-probe.mts"), cfg],
    { cwd: ROOT, encoding: "utf8", timeout: 240_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const { baseline, rounds } = JSON.parse(r.stdout.trim().split("\n").at(-1) as string) as {
    baseline: number;
    rounds: number[];
  };
  const kib = (n: number) => Math.round(n / 1024);
  t.diagnostic(
    `heap after GC: baseline ${kib(baseline)} KiB, rounds ${rounds.map(kib).join(", ")} KiB (30,000 requests)`,
  );
  assert.equal(rounds.length, 5);
  const growth = (rounds.at(-1) as number) - (rounds[0] as number);
  assert.ok(growth < 1024 * 1024, `heap grew ${kib(growth)} KiB from round 1 to round 5; expected flat (< 1 MiB)`);
});
