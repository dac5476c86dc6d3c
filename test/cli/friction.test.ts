// The small things a new user trips over on the command line.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { DEFAULT_CONFIG_PATH } from "../../src/cli/command.ts";
import { tempDir } from "../helpers/tools.ts";

const MAIN = join(process.cwd(), "src", "cli", "main.ts");

function ew(args: string[], env: NodeJS.ProcessEnv = {}, prefix: string[] = []) {
  const argv = [...prefix, process.execPath, "--import", "tsx", MAIN, ...args];
  const r = spawnSync(argv[0] as string, argv.slice(1), {
    encoding: "utf8",
    env: { ...process.env, EDGEWATCH_CONFIG: "", EDGEWATCH_DIR: "", ...env },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("status set confirms what it wrote; status get on a directory that is not there fails naming it", (t) => {
  const dir = tempDir(t);
  const set = ew(["status", "set", "--source", "timelapse", "status=capturing", "today.photos_captured=3"], {
    EDGEWATCH_DIR: dir,
  });
  assert.equal(set.code, 0, set.err);
  assert.equal(set.out, `timelapse: set status, today.photos_captured in ${dir}\n`);
  const typo = ew(["status", "get", "--dir", join(dir, "typo")]);
  assert.equal(typo.code, 1);
  assert.equal(typo.out, "", "not {}");
  assert.match(typo.err, new RegExp(`status directory ${join(dir, "typo")} does not exist`));
});

test("status set without write permission names the directory and says how to point elsewhere", (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "status.d"));
  let prefix: string[] = [];
  if (process.getuid?.() === 0) prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
  else chmodSync(join(dir, "status.d"), 0o555); // the temp dir's removal (as its owner) still works
  const r = ew(["status", "set", "a=1"], { EDGEWATCH_DIR: dir, HOME: "/tmp" }, prefix);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, new RegExp(`no permission to write into ${dir}/status\\.d \\(EACCES\\)`));
  assert.match(r.err, /--dir or EDGEWATCH_DIR/);
});

test("one default config path: README, agent --help, install --help and status --help name the same file", () => {
  assert.equal(DEFAULT_CONFIG_PATH, "/etc/edgewatch/config.yaml");
  const readme = readFileSync("README.md", "utf8");
  const seen = new Set<string>();
  for (const text of [
    readme,
    ew(["agent", "--help"]).out,
    ew(["install", "--help"]).out,
    ew(["status", "--help"]).out,
  ]) {
    for (const m of text.matchAll(/\/etc\/edgewatch[\w./-]*\.ya?ml/g)) seen.add(m[0]);
  }
  // the hub is another program with its own file (install --hub names it); every agent path is the one
  seen.delete("/etc/edgewatch/hub.yaml");
  assert.deepEqual([...seen], [DEFAULT_CONFIG_PATH]);
});

test("config check suggests the near key for a typo", (t) => {
  const dir = tempDir(t);
  const f = join(dir, "c.yaml");
  writeFileSync(f, "http:\n  tokn: x\nrecovery:\n  watches:\n    - { name: a, source: a, stale_afer: 3 }\nzzz: 1\n");
  const r = ew(["config", "check", f]);
  assert.equal(r.code, 1);
  assert.deepEqual(r.out.trim().split("\n").sort(), [
    `${f}: http.tokn: unknown key; did you mean "token"?`,
    `${f}: recovery.watches[0].stale_afer: unknown key; did you mean "stale_after"?`,
    `${f}: zzz: unknown key (a typo?)`,
  ]);
});

test("notify test: a refused connection is called what it is, not a temporary failure", async (t) => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const dir = tempDir(t);
  const f = join(dir, "c.yaml");
  writeFileSync(f, `notify:\n  channels:\n    - { type: webhook, url: "http://127.0.0.1:${port}/hook" }\n`);
  const r = ew(["notify", "test", "--config", f]);
  assert.equal(r.code, 1);
  assert.match(
    r.out,
    /FAILED webhook \(webhook\): .*ECONNREFUSED \(connection refused: nothing listens at that address/,
  );
  assert.doesNotMatch(r.out, /temporary/);
});

test("a usage error prints the error and one usage line, not the whole help", () => {
  const r = ew(["status", "set"]);
  assert.equal(r.code, 2);
  assert.deepEqual(r.err.trim().split("\n"), [
    "edgewatch status: status set: expected at least one key.path=value",
    "usage: edgewatch status set [--source S] key.path=value ...   (edgewatch status --help for all of it)",
  ]);
  const flag = ew(["install", "--bogus"]);
  assert.equal(flag.code, 2);
  assert.equal(flag.err.trim().split("\n").length, 2);
  assert.match(flag.err, /--bogus[\s\S]*\nusage: edgewatch install \[--hub\] \[--print\]/);
});
