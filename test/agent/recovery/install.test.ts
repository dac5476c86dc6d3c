import assert from "node:assert/strict";
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { agentUnit, sudoersFile } from "../../../src/agent/recovery/install.ts";
import { parseConfigText } from "../../../src/config/load.ts";
import { requireTool, tempDir } from "../../helpers/tools.ts";

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
  const r = cli(["install", "--user", "pi", "--config", cfg, "--unit-dir", dir, "--sudoers-dir", dir]);
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
  ]) {
    assert.ok(agent.split("\n").includes(line), `agent unit has ${line}`);
  }
  assert.match(agent, new RegExp(`^ExecStart=${process.execPath} \\S+/src/cli/main\\.ts agent --config ${cfg}$`, "m"));

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
