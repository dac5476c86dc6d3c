import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { requireTool, tempDir } from "../helpers/tools.ts";
import { BIN, batch, enroll, freePort, hubConfig, push, run, startHub, waitFor } from "./helpers.ts";

test("edgewatch hub with no config: SQLite under the local state dir, prints its URL and enroll key", async (t) => {
  const dir = tempDir(t, "ew-hubcli-");
  const port = await freePort();
  const p = run(t, ["hub", "--port", String(port), "--bind", "127.0.0.1"], {
    XDG_STATE_HOME: dir,
    EDGEWATCH_CONFIG: "",
  });
  const m = await waitFor("URL and enroll key", () => /listening on (\S+)[\s\S]*enroll key (ewe_\S+)/.exec(p.out()));
  assert.ok(m);
  assert.equal(m[1], `http://127.0.0.1:${port}`);
  assert.ok(existsSync(join(dir, "edgewatch-hub", "hub.sqlite")), "the store is under $XDG_STATE_HOME/edgewatch-hub");
  // the printed key enrolls a device
  const r = await fetch(`${m[1]}/api/v1/enroll`, {
    method: "POST",
    headers: { Authorization: `Bearer ${m[2]}` },
    body: JSON.stringify({ id: "cam-x" }),
  });
  assert.equal(r.status, 201);
  await p.kill("SIGTERM");
  assert.equal(p.child.exitCode, 0, p.out());
  // the same key after a restart (kept in the state dir)
  const p2 = run(t, ["hub", "--port", String(port), "--bind", "127.0.0.1"], {
    XDG_STATE_HOME: dir,
    EDGEWATCH_CONFIG: "",
  });
  const m2 = await waitFor("URL and enroll key", () => /enroll key (ewe_\S+)/.exec(p2.out()));
  assert.equal(m2?.[1], m[2]);
});

test("edgewatch config check knows a hub config: ok, or every problem with its key path", (t) => {
  const dir = tempDir(t);
  const good = hubConfig(
    dir,
    "offline_after: 20s\nstore: { type: sqlite }\nnotify: { channels: [{ type: webhook, url: 'http://127.0.0.1:9/hook' }] }",
  );
  const ok = spawnSync(process.execPath, [BIN, "config", "check", good], { encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.equal(ok.stdout, "ok\n");
  const bad = join(dir, "bad.yaml");
  writeFileSync(
    bad,
    "enroll_key: short\noffline_after: soon\nstore: { type: mysql }\nhttp: { port: 99999 }\nviewer_tokn: x\n",
  );
  const r = spawnSync(process.execPath, [BIN, "config", "check", bad], { encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /bad\.yaml: enroll_key: expected a secret of at least 16 characters/);
  assert.match(r.stdout, /bad\.yaml: offline_after: expected a duration like "30s", "5m" or "1h30m", got "soon"/);
  assert.match(r.stdout, /bad\.yaml: store\.type: expected one of "sqlite"\|"postgres", got "mysql"/);
  assert.match(r.stdout, /bad\.yaml: http\.port: expected <= 65535, got 99999/);
  assert.match(r.stdout, /bad\.yaml: viewer_tokn: unknown key/);
  // and the hub refuses to start on it, naming the problems
  const h = spawnSync(process.execPath, [BIN, "hub", "--config", bad], { encoding: "utf8", timeout: 30_000 });
  assert.equal(h.status, 1);
  assert.match(h.stderr, /offline_after: expected a duration/);
});

test("edgewatch hub --help", () => {
  const r = spawnSync(process.execPath, [BIN, "hub", "--help"], { encoding: "utf8" });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Usage: edgewatch hub \[--config FILE\]/);
});

test("a hub restart keeps devices, history and acknowledged batches (SQLite file)", async (t) => {
  const dir = tempDir(t);
  const cfg = hubConfig(dir);
  let hub = await startHub(t, cfg);
  const token = await enroll(hub.url, "cam-r");
  for (let i = 1; i <= 3; i++) assert.equal((await push(hub.url, token, batch(i))).status, 200);
  await hub.kill("SIGTERM");
  hub = await startHub(t, cfg, hub.port);
  const again = await push(hub.url, token, batch(3));
  assert.equal(again.status, 409, "an acknowledged batch is remembered across restarts");
  assert.equal((await push(hub.url, token, batch(4))).status, 200);
});

test("edgewatch install --hub writes a hub unit systemd-analyze verify accepts", { timeout: 60_000 }, (t) => {
  const analyze = requireTool(t, "systemd-analyze", "systemd");
  if (!analyze) return;
  const dir = tempDir(t, "ew-install-");
  const r = spawnSync(process.execPath, [BIN, "install", "--hub", "--user", "root", "--unit-dir", dir], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote .*edgewatch-hub\.service/);
  const unit = join(dir, "edgewatch-hub.service");
  const v = spawnSync(analyze, ["verify", unit], { encoding: "utf8" });
  assert.equal(`${v.stdout}${v.stderr}`, "", "systemd-analyze verify printed something");
  const text = readFileSync(unit, "utf8");
  assert.match(text, /ExecStart=\S+node \S+edgewatch hub --config \/etc\/edgewatch\/hub\.yaml/);
  assert.match(text, /Restart=always/);
  assert.match(text, /StateDirectory=edgewatch-hub/);
  assert.ok(!existsSync(join(dir, "edgewatch-agent.service")), "only the hub's unit");
});
