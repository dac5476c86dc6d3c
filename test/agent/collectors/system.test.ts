import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, statfsSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { parseMeminfo, parseProcStat, systemCollector, tcpReachable } from "../../../src/agent/collectors/system.ts";
import type { JsonObject } from "../../../src/protocol/json.ts";
import { tempDir } from "../../helpers/tools.ts";
import { collectOnce, config, FIXTURES } from "./helpers.ts";

const PROC = join(FIXTURES, "proc-this-machine");

/** A proc root in a temp dir holding this machine's captured files (so stat can be swapped). */
function procCopy(t: Parameters<typeof tempDir>[0]): string {
  const dir = join(tempDir(t), "proc");
  mkdirSync(dir);
  for (const f of ["stat", "meminfo", "uptime", "loadavg"]) copyFileSync(join(PROC, f), join(dir, f));
  return dir;
}

test("system: fixture /proc from this machine gives load, memory, uptime; CPU from the delta of two stat reads", async (t) => {
  const proc = procCopy(t);
  const cfg = config({ proc_root: proc, system: { mounts: [] } });
  const c = systemCollector(cfg);
  assert.ok(c);
  const first = await collectOnce(c, cfg);
  // The first run reads /proc/stat twice, 250 ms apart; the fixture does not change in between, so
  // there is no delta: no data rather than a since-boot average.
  assert.equal(first.cpu_usage_ratio, null);
  assert.equal(first.load1, 0.47);
  assert.equal(first.load5, 0.37);
  assert.equal(first.load15, 0.2);
  assert.equal(first.uptime_seconds, 587.43);
  assert.equal(first.memory_total_bytes, 24684092 * 1024);
  assert.equal(first.memory_available_bytes, 24217072 * 1024);
  // 1 − 24217072/24684092 = 0.018920…
  assert.equal(first.memory_usage_ratio, 0.0189);
  assert.equal(first.swap_total_bytes, 0);
  assert.equal(first.reachability, null);

  copyFileSync(join(PROC, "stat.later"), join(proc, "stat"));
  const second = await collectOnce(c, cfg);
  // cpu lines: busy 11338 → 11347, total 117015 → 117416: 9/401 = 0.02244…
  assert.equal(second.cpu_usage_ratio, 0.0224);
});

test("system: parsers agree with the fixture files", () => {
  const a = parseProcStat(readFileSync(join(PROC, "stat"), "utf8"));
  assert.deepEqual(a, { busy: 11338, total: 117015 });
  assert.equal(parseProcStat("intr 1 2 3\n"), null);
  assert.equal(parseProcStat("cpu  a b c d\n"), null);
  const m = parseMeminfo(readFileSync(join(PROC, "meminfo"), "utf8"));
  assert.equal(m.MemTotal, 24684092 * 1024);
  assert.equal(m.HugePages_Total, 0);
});

test("system: disk per mount as df computes it; a missing mount is no data with the reason, not a failed run", async (t) => {
  const dir = tempDir(t);
  const cfg = config({ proc_root: PROC, system: { mounts: [dir, join(dir, "not-mounted")] } });
  const c = systemCollector(cfg);
  assert.ok(c);
  const data = await collectOnce(c, cfg);
  const [real, missing] = data.disks as JsonObject[];
  const s = statfsSync(dir);
  assert.equal(real?.mount, dir);
  assert.equal(real?.total_bytes, s.blocks * s.bsize);
  assert.ok(typeof real?.free_bytes === "number" && real.free_bytes > 0 && real.free_bytes <= s.blocks * s.bsize);
  assert.ok(typeof real?.usage_ratio === "number" && real.usage_ratio >= 0 && real.usage_ratio <= 1);
  assert.equal(missing?.free_bytes, null);
  assert.equal(missing?.usage_ratio, null);
  assert.match(String(missing?.error), /ENOENT/);
  const families = c.metrics?.(data) ?? [];
  const free = families.find((f) => f.name === "edgewatch_disk_free_bytes");
  assert.deepEqual(
    free?.samples.map((x) => x.labels?.mount),
    [dir],
  );
});

test("system: missing /proc files are no data (nulls), not an error", async (t) => {
  const empty = tempDir(t);
  const cfg = config({ proc_root: empty, system: { mounts: [] } });
  const c = systemCollector(cfg);
  assert.ok(c);
  const data = await collectOnce(c, cfg);
  for (const k of ["cpu_usage_ratio", "load1", "memory_usage_ratio", "uptime_seconds"] as const)
    assert.equal(data[k], null, k);
  assert.deepEqual(c.metrics?.(data), []);
});

test("system: this machine's live /proc", async () => {
  const cfg = config({ system: { mounts: ["/"] } });
  const c = systemCollector(cfg);
  assert.ok(c);
  const first = await collectOnce(c, cfg);
  // The first run already measures CPU over a short gap.
  assert.ok(typeof first.cpu_usage_ratio === "number", `first cpu_usage_ratio ${first.cpu_usage_ratio}`);
  // Burn a little CPU so the second read has a delta to measure.
  const until = Date.now() + 200;
  while (Date.now() < until);
  const data = await collectOnce(c, cfg);
  const ratio = data.cpu_usage_ratio;
  assert.ok(typeof ratio === "number" && ratio >= 0 && ratio <= 1, `cpu_usage_ratio ${ratio}`);
  const mem = data.memory_usage_ratio;
  assert.ok(typeof mem === "number" && mem > 0 && mem < 1, `memory_usage_ratio ${mem}`);
  const up = data.uptime_seconds;
  const procUp = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  assert.ok(typeof up === "number" && up > 0 && up <= procUp, `uptime ${up} vs ${procUp}`);
  assert.ok(typeof data.load1 === "number" && data.load1 >= 0);
  const root = (data.disks as JsonObject[])[0];
  assert.equal(root?.mount, "/");
  assert.ok(typeof root?.free_bytes === "number" && root.free_bytes > 0);
});

test("system: reachability over TCP: a listening host is reachable, a closed port is not (no exception)", async (t) => {
  const server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const up = await tcpReachable("127.0.0.1", port, 5000);
  assert.equal(up.reachable, true);
  assert.ok(typeof up.latency_seconds === "number" && up.latency_seconds >= 0);

  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  const closedPort = (closed.address() as { port: number }).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const down = await tcpReachable("127.0.0.1", closedPort, 5000);
  assert.equal(down.reachable, false);
  assert.match(String(down.error), /ECONNREFUSED/);
  assert.equal(down.latency_seconds, null);

  const cfg = config({ proc_root: PROC, system: { mounts: [], reachability: { host: "127.0.0.1", port } } });
  const c = systemCollector(cfg);
  assert.ok(c);
  const data = await collectOnce(c, cfg);
  assert.equal((data.reachability as JsonObject).reachable, true);
  const fam = c.metrics?.(data).find((f) => f.name === "edgewatch_host_reachable");
  assert.deepEqual(fam?.samples, [{ labels: { host: "127.0.0.1", port: String(port) }, value: 1 }]);
});

test("system: a disabled collector is not built at all", () => {
  assert.equal(systemCollector(config({ system: { enabled: false } })), null);
});

test("system: a host whose connect hangs is unreachable at the capped timeout; the rest of the run is kept", async (t) => {
  // A real listener that never accepts, its accept queue filled: further SYNs are dropped and a
  // connect hangs, as with a host that has gone away.
  const py = spawn(
    "/usr/bin/python3",
    [
      "-c",
      "import socket,sys,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  t.after(() => py.kill("SIGKILL"));
  const port = Number(await new Promise<string>((r) => py.stdout.once("data", (d) => r(String(d).trim()))));
  const fillers: Socket[] = [];
  t.after(() => {
    for (const s of fillers) s.destroy();
  });
  for (let i = 0; i < 4; i++) {
    const s = connect({ host: "127.0.0.1", port });
    s.on("error", () => {});
    fillers.push(s);
  }
  await new Promise((r) => setTimeout(r, 200));
  const cfg = config({
    proc_root: PROC,
    timeout: "2s",
    system: { mounts: [], reachability: { host: "127.0.0.1", port, timeout: "30s" } },
  });
  const c = systemCollector(cfg);
  assert.ok(c);
  const data = await collectOnce(c, cfg);
  const r = data.reachability as JsonObject;
  assert.equal(r.reachable, false);
  // Cut at half the run timeout (1 s), not after the configured 30 s.
  assert.equal(r.error, "no TCP connection within 1000 ms");
  assert.equal(data.load1, 0.47);
});
