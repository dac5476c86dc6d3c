import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseConfigText, validateConfig } from "../../../src/agent/config.ts";
import { tempDir } from "../../helpers/tools.ts";
import { get, until } from "./helpers.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const cli = (args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
  });

test("edgewatch agent: --help, bad flags exit 2, a bad config exits 1 naming file and key", (t) => {
  const help = cli(["agent", "--help"]);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Usage: edgewatch agent \[--config FILE\]/);
  const port = cli(["agent", "--port", "99999"]);
  assert.equal(port.status, 2);
  assert.match(port.stderr, /--port: expected a port number 0–65535, got "99999"/);
  const unknown = cli(["agent", "--frobnicate"]);
  assert.equal(unknown.status, 2);
  const dir = tempDir(t);
  const cfg = join(dir, "bad.yaml");
  writeFileSync(cfg, "http:\n  port: 8080\n  max_body_bytes: lots\nfiles:\n  photos: [relative/*.jpg]\n");
  const bad = cli(["agent", "--config", cfg]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /bad\.yaml: http\.max_body_bytes: expected a number, got "lots"/);
  assert.match(bad.stderr, /bad\.yaml: files\.photos\[0\]: expected an absolute glob/);
});

test("edgewatch agent exits 1 with a clear message (no hang) on an unusable status dir or a port in use", async (t) => {
  const dir = tempDir(t);
  const cfg = join(dir, "a.yaml");
  writeFileSync(
    cfg,
    `status_dir: /dev/null/nope\nstate_dir: ${join(dir, "state")}\nhttp: {port: 0, bind: 127.0.0.1}\n`,
  );
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "agent", "--config", cfg], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /edgewatch agent: cannot use \/dev\/null\/nope\/status\.d \(ENOTDIR\); check status_dir/);

  const { createServer } = await import("node:net");
  const busy = createServer();
  await new Promise<void>((res) => busy.listen(0, "127.0.0.1", () => res()));
  t.after(() => busy.close());
  const port = (busy.address() as { port: number }).port;
  writeFileSync(
    cfg,
    `status_dir: ${join(dir, "status")}\nstate_dir: ${join(dir, "state")}\nhttp: {port: ${port}, bind: 127.0.0.1}\n`,
  );
  const r2 = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
    const c = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "agent", "--config", cfg], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    c.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const timer = setTimeout(() => c.kill("SIGKILL"), 60_000);
    c.on("exit", (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
  assert.equal(r2.status, 1, r2.stderr);
  assert.match(r2.stderr, new RegExp(`edgewatch agent: 127\\.0\\.0\\.1:${port} is already in use`));
});

test("examples/device.yaml is a valid config, and an empty config is valid too", () => {
  const c = parseConfigText(readFileSync(join(ROOT, "examples/device.yaml"), "utf8"), "examples/device.yaml", {});
  assert.equal(c.device.id, "demo-pi");
  assert.equal(c.history.flush_interval, 3_600_000);
  assert.equal(c.http.request_timeout, 10_000);
  assert.throws(
    () =>
      validateConfig(
        { files: { logs: [{ path: "/var/log/a/app.log" }, { path: "/var/log/b/app.log" }] } },
        "c.yaml",
        {},
      ),
    /c\.yaml: files\.logs\[1\]\.name: expected a unique log name, got "app\.log" twice/,
  );
  const empty = validateConfig({}, "empty", {});
  assert.equal(empty.http.port, 8080);
  assert.equal(empty.history.max_samples, 1000);
  assert.deepEqual(empty.files.photos, []);
});

test("edgewatch demo (npm start): live data at /status, /metrics and /latest/photo within seconds", {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t);
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "demo", "--port", "0", "--interval", "0.3", "--dir", dir],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  t.after(() => {
    child.kill("SIGTERM");
  });
  let out = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const url = await until("the demo's agent URL", () => /agent on (http:\/\/\S+)/.exec(out)?.[1], 60_000);
  const doc = await until(
    "photos in /status",
    async () => {
      const d = (await get(`${url}/status`)).json<{ today?: { photos_captured?: number }; device_id: string }>();
      return (d.today?.photos_captured ?? 0) > 0 ? d : null;
    },
    60_000,
  );
  assert.equal(doc.device_id, "demo-pi");
  const m = await get(`${url}/metrics`);
  assert.match(m.body, /^edgewatch_photos_captured_today\{device="demo-pi",site="demo"\} \d+$/m);
  const photo = await get(`${url}/latest/photo`);
  assert.equal(photo.status, 200);
  assert.equal(photo.headers["content-type"], "image/jpeg");
  const logs = (await get(`${url}/logs?lines=5`)).json<{ files: { lines: unknown[] }[] }>();
  assert.ok((logs.files[0]?.lines.length ?? 0) > 0);
  // the simulated day ends with a video made in quiet mode
  await until(
    "quiet mode shown while the demo encodes",
    async () => {
      const d = (await get(`${url}/status`)).json<{ agent: { quiet: boolean } }>();
      return d.agent.quiet;
    },
    60_000,
  );
  await until("the demo video", async () => (await get(`${url}/latest/video`)).status === 200, 60_000);
});

test("SIGHUP reloads a valid config and keeps the running one when the new one is bad", {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t);
  const cfg = join(dir, "agent.yaml");
  const write = (id: string) =>
    writeFileSync(
      cfg,
      `device: {id: ${id}, site: lab}\nstatus_dir: ${join(dir, "status")}\nstate_dir: ${join(dir, "state")}\n`,
    );
  write("before-reload");
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "agent", "--config", cfg, "--port", "0", "--bind", "127.0.0.1"],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  t.after(() => {
    child.kill("SIGTERM");
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const url = await until("agent URL", () => /listening on (http:\/\/\S+)/.exec(out)?.[1], 60_000);
  assert.equal((await get(`${url}/status`)).json<{ device_id: string }>().device_id, "before-reload");

  writeFileSync(cfg, "device: {id: 42}\nhttp: {port: lots}\n");
  child.kill("SIGHUP");
  await until("reload refused", () => /reload refused, keeping the running config/.test(err), 60_000);
  assert.match(err, /agent\.yaml: http\.port: expected a number, got "lots"/);
  assert.equal((await get(`${url}/status`)).json<{ device_id: string }>().device_id, "before-reload");

  write("after-reload");
  child.kill("SIGHUP");
  const url2 = await until("reloaded", () => /config reloaded; listening on (http:\/\/\S+)/.exec(out)?.[1], 60_000);
  const doc = await until(
    "new device id",
    async () => {
      const d = (await get(`${url2}/status`)).json<{ device_id: string }>();
      return d.device_id === "after-reload" ? d : null;
    },
    60_000,
  );
  assert.equal(doc.device_id, "after-reload");
});
