import assert from "node:assert/strict";
import { type SpawnSyncReturns, spawn, spawnSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseConfigText } from "../../../src/agent/config.ts";
import { AGENT_NODE_FLAGS, agentUnit, sudoersFile } from "../../../src/agent/recovery/install.ts";
import { requireTool, tempDir, waitFor } from "../../helpers/tools.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const MAIN = join(ROOT, "src", "cli", "main.ts");

/** Runs the real CLI (through tsx, so no build is needed). */
function cli(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: ROOT, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CONFIG = `
recovery:
  watches:
    - name: recorder
      source: recorder
      restart: { type: systemd, unit: recorder.service }
  restart_services:
    - { type: command, argv: [sudo, systemctl, restart, "cam@0.service"] }
    - { type: systemd, unit: recorder.service }
  camera_test: { type: camera, argv: [libcamera-hello, --list-cameras] }
`;

test("edgewatch install writes units that systemd-analyze verify accepts with no output at all", {
  timeout: 60_000,
}, async (t) => {
  const analyze = requireTool(t, "systemd-analyze", "systemd");
  if (!analyze) return;
  const dir = tempDir(t, "ew-install-");
  const cfg = join(dir, "config.yaml");
  writeFileSync(cfg, CONFIG);
  const r = cli([
    "install",
    "--user",
    "pi",
    "--group",
    "video",
    "--config",
    cfg,
    "--unit-dir",
    dir,
    "--sudoers-dir",
    dir,
  ]);
  assert.equal(r.code, 0, r.stderr);
  for (const unit of ["edgewatch-agent.service"]) {
    const v: SpawnSyncReturns<string> = spawnSync(analyze, ["verify", join(dir, unit)], { encoding: "utf8" });
    assert.equal(`${v.stdout}${v.stderr}`, "", `systemd-analyze verify ${unit} printed something`);
    assert.equal(v.status, 0);
  }
  const agent = readFileSync(join(dir, "edgewatch-agent.service"), "utf8");
  for (const line of [
    "Type=notify",
    "NotifyAccess=all",
    "Restart=always",
    "WatchdogSec=60",
    "Nice=19",
    "CPUQuota=5%",
    "MemoryMax=96M",
    "User=pi",
    "Group=video",
    "RuntimeDirectory=edgewatch edgewatch/status.d edgewatch/events edgewatch/events/tmp edgewatch/events/new",
    "RuntimeDirectoryMode=0775",
    "ExecReload=/bin/kill -HUP $MAINPID",
  ]) {
    assert.ok(agent.split("\n").includes(line), `agent unit has ${line}`);
  }
  // node itself runs the agent, with the heap bounds: no wrapper between systemd and the agent.
  assert.match(
    agent,
    new RegExp(
      `^ExecStart=${process.execPath} --max-old-space-size=48 --max-semi-space-size=1 \\S+/src/cli/main\\.ts agent --config ${cfg}$`,
      "m",
    ),
  );
  assert.deepEqual([...AGENT_NODE_FLAGS], ["--max-old-space-size=48", "--max-semi-space-size=1"]);

  const sudoers = readFileSync(join(dir, "edgewatch"), "utf8");
  assert.equal(statSync(join(dir, "edgewatch")).mode & 0o777, 0o440);
  assert.deepEqual(
    sudoers.split("\n").filter((l) => l && !l.startsWith("#")),
    [
      "pi ALL=(root) NOPASSWD: /usr/bin/systemctl reboot",
      "pi ALL=(root) NOPASSWD: /usr/bin/systemctl restart recorder.service",
      "pi ALL=(root) NOPASSWD: /usr/bin/systemctl restart cam@0.service",
    ],
    "exactly the configured sudo commands, each once; the camera command needs no sudo",
  );
});

test("edgewatch install --print; bad input is a clear error and a non-zero exit", { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, "ew-install-");
  const printed = cli(["install", "--print", "--user", "pi", "--config", join(dir, "none.yaml")]);
  assert.equal(printed.code, 1, "a named config that does not exist is an error");
  assert.match(printed.stderr, /none\.yaml/);

  const cfg = join(dir, "config.yaml");
  writeFileSync(cfg, "recovery:\n  reboot: { type: command, argv: [sudo, no-such-program-xyz] }\n");
  const missing = cli(["install", "--print", "--user", "pi", "--config", cfg]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /recovery\.reboot: expected "no-such-program-xyz" to be a program on PATH/);

  writeFileSync(cfg, "recovery: {}\n");
  const ok = cli(["install", "--print", "--user", "pi", "--config", cfg, "--unit-dir", dir]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^### .*edgewatch-agent\.service\n# edgewatch agent/m);
  assert.match(ok.stdout, /pi ALL=\(root\) NOPASSWD: \/usr\/bin\/systemctl reboot/);

  const badUser = cli(["install", "--print", "--user", "Bad User"]);
  assert.equal(badUser.code, 2);
  assert.match(badUser.stderr, /--user: expected a user name like "pi", got "Bad User"/);
  const badQuota = cli(["install", "--print", "--user", "pi", "--cpu-quota", "lots"]);
  assert.equal(badQuota.code, 2);
  assert.match(badQuota.stderr, /--cpu-quota: expected a percentage like "5%", got "lots"/);
  const help = cli(["install", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: edgewatch install/);
});

test("the units shipped in integrations/systemd are what `edgewatch install` generates", () => {
  const opts = {
    exec: ["/usr/bin/node", "/usr/local/lib/node_modules/edgewatch/bin/edgewatch"],
    user: "edgewatch",
    configPath: "/etc/edgewatch/config.yaml",
  };
  const dir = join(ROOT, "integrations", "systemd");
  assert.equal(readFileSync(join(dir, "edgewatch-agent.service"), "utf8"), agentUnit(opts));
  assert.match(
    readFileSync(join(dir, "sudoers.example"), "utf8"),
    /^edgewatch ALL=\(root\) NOPASSWD: \/usr\/bin\/systemctl reboot$/m,
  );
  assert.ok(sudoersFile("edgewatch", []).includes("needs no sudo rights"));
});

test("the example config in docs/operations.md (## Self-healing) is valid", () => {
  const doc = readFileSync(join(ROOT, "docs", "operations.md"), "utf8");
  const section = doc.slice(doc.indexOf("## Self-healing"));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(yaml, "the section has a yaml example");
  const c = parseConfigText(yaml, "docs/operations.md", { EDGEWATCH_TOKEN: "0123456789abcdef0123" });
  assert.equal(c.recovery.watches[0]?.restart?.type, "systemd");
  assert.equal(c.recovery.disk.dry_run, true);
});

test("bin/edgewatch and dist/edgewatch.mjs, run directly, are the agent itself with the unit's heap bounds", {
  timeout: 60_000,
}, async (t) => {
  const flags = AGENT_NODE_FLAGS.join(" ");
  for (const launcher of [join(ROOT, "bin", "edgewatch"), join(ROOT, "dist", "edgewatch.mjs")]) {
    assert.equal(readFileSync(launcher, "utf8").split("\n")[0], `#!/usr/bin/env -S node ${flags}`, launcher);
    const dir = tempDir(t, "ew-launch-");
    const cfg = join(dir, "agent.yaml");
    writeFileSync(
      cfg,
      `status_dir: ${join(dir, "run")}\nstate_dir: ${join(dir, "state")}\nhttp: { bind: 127.0.0.1, port: 0 }\n`,
    );
    const child = spawn(launcher, ["agent", "--config", cfg], { stdio: ["ignore", "pipe", "pipe"] });
    t.after(() => child.kill("SIGKILL"));
    let log = "";
    const add = (d: Buffer) => {
      log += d.toString();
    };
    child.stdout.on("data", add);
    child.stderr.on("data", add);
    await waitFor(`${launcher} listening`, () => /listening on http/.test(log) || child.exitCode !== null, 30_000);
    assert.equal(child.exitCode, null, log);
    // The pid systemd (or a pid file) would hold is node running the agent with the flags, with no child.
    const argv = readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    assert.match(argv[0] ?? "", /(^|\/)node$/);
    assert.deepEqual(argv.slice(1, 3), [...AGENT_NODE_FLAGS]);
    assert.deepEqual(argv.slice(-3), ["agent", "--config", cfg]);
    const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim();
    assert.equal(children, "", "no re-spawned child process");
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
});
