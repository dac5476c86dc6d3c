import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { get, until } from "../agent/core/helpers.ts";

export const ROOT = join(import.meta.dirname, "..", "..");
export const INTEGRATIONS = join(ROOT, "integrations");

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** A sysfs tree with one Raspberry Pi thermal zone (cpu-thermal) at `milli` millidegrees. */
export function fakeSys(dir: string, milli: number): string {
  const zone = join(dir, "sys", "class", "thermal", "thermal_zone0");
  mkdirSync(zone, { recursive: true });
  writeFileSync(join(zone, "type"), "cpu-thermal\n");
  writeFileSync(join(zone, "temp"), `${milli}\n`);
  return join(dir, "sys");
}

export interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RunningProm {
  base: string;
  stderr(): string;
  query(q: string): Promise<PromResult[]>;
}

/** Debian's prometheus on a free port, in `dir`, with `config` as prometheus.yml; killed after the test. */
export async function startPrometheus(t: TestContext, bin: string, dir: string, config: string): Promise<RunningProm> {
  const port = await freePort();
  const cfg = join(dir, "prometheus.yml");
  writeFileSync(cfg, config);
  const proc: ChildProcess = spawn(
    bin,
    [
      `--config.file=${cfg}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
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
  await until(
    `Prometheus on ${base} to answer (stderr: ${stderr})`,
    async () => (await get(`${base}/-/ready`)).status === 200,
    60_000,
  );
  return {
    base,
    stderr: () => stderr,
    async query(q: string) {
      const r = await get(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = r.json<{ status: string; error?: string; data: { result: PromResult[] } }>();
      assert.equal(body.status, "success", `${q}: ${r.body}`);
      return body.data.result;
    },
  };
}
