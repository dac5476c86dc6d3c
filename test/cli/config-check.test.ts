// `edgewatch config check` on a path that can be read only once (a pipe, bash's `<(…)`): the check
// must judge what the path held, not an empty second read.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";

const BIN = join(process.cwd(), "bin", "edgewatch");
const check = (yaml: string) =>
  spawnSync("bash", ["-c", `"${process.execPath}" "${BIN}" config check <(printf '%s' "$CFG")`], {
    encoding: "utf8",
    env: { ...process.env, EDGEWATCH_CONFIG: "", CFG: yaml },
    timeout: 30_000,
  });

test("config check reads a pipe once: an invalid agent or hub config from <(…) is reported, a valid one is ok", () => {
  const bad = check('http:\n  port: "80"\n');
  assert.equal(bad.status, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /http\.port: expected a number, got "80"/);
  const badHub = check("enroll_key: short\n");
  assert.equal(badHub.status, 1, badHub.stdout + badHub.stderr);
  assert.match(badHub.stdout, /enroll_key/);
  const good = check("device:\n  id: roof-cam\n");
  assert.equal(good.status, 0, good.stdout + good.stderr);
  assert.equal(good.stdout, "ok\n");
  const syntax = check("device: [\n");
  assert.equal(syntax.status, 1, syntax.stdout + syntax.stderr);
  assert.match(syntax.stdout, /:2:1: YAML syntax/);
});
