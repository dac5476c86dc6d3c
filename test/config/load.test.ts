import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadConfig, parseConfigText } from "../../src/agent/config.ts";
import { ConfigError } from "../../src/config/load.ts";
import { tempDir } from "../helpers/tools.ts";

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(text, "device.yaml", env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.problems;
  }
  assert.fail("expected the config to be refused");
}

test("an empty config is valid and gives the documented defaults", () => {
  const c = parseConfigText("", "empty.yaml", {});
  assert.equal(c.status_dir, "/run/edgewatch");
  assert.equal(c.state_dir, "/var/lib/edgewatch");
  assert.equal(c.http.port, 8080);
  assert.equal(c.http.bind, "0.0.0.0");
  assert.equal(c.device.site, "default");
  assert.ok(c.device.id.length > 0, "device.id defaults to the host name");
});

test("every problem is reported at once, each with file, key path, expected and got", () => {
  const p = problems(`
device: [1]
http:
  port: "80"
  tokn: abc
status_dir: 5
`);
  assert.deepEqual(
    [...p].sort(),
    [
      "device.yaml: device: expected a mapping (key: value), got a list",
      'device.yaml: http.port: expected a number, got "80"',
      'device.yaml: http.tokn: unknown key; did you mean "token"?',
      "device.yaml: status_dir: expected a string, got 5",
    ].sort(),
  );
});

test("unknown top-level keys are errors (typos must not pass silently)", () => {
  assert.deepEqual(problems("htpp:\n  port: 8080\n"), ['device.yaml: htpp: unknown key; did you mean "http"?']);
});

test("range errors say the bound and the value", () => {
  const [p] = problems("http:\n  port: 70000\n");
  assert.match(p as string, /^device\.yaml: http\.port: expected <= 65535, got 70000$/);
  const [t] = problems("http:\n  token: short\n");
  assert.match(t as string, /http\.token: expected a token of at least 16 characters, got "short"/);
});

test("${ENV} references keep secrets out of the file; unset ones are errors naming the variable", () => {
  const c = parseConfigText("http:\n  token: ${EW_TOKEN}\ndevice:\n  site: ${SITE:-roof}\n", "f.yaml", {
    EW_TOKEN: "0123456789abcdef0123",
  });
  assert.equal(c.http.token, "0123456789abcdef0123");
  assert.equal(c.device.site, "roof");
  const p = problems("http:\n  token: ${NOPE}\n");
  assert.deepEqual(p, ["device.yaml: http.token: environment variable NOPE is not set (referenced as ${NOPE})"]);
  const lit = parseConfigText("device:\n  site: $${literal}\n", "f.yaml", {});
  assert.equal(lit.device.site, "${literal}");
});

test("YAML syntax errors give line and column; duplicate keys are refused", () => {
  const [p] = problems("http:\n  port: [1,\n");
  assert.match(p as string, /^device\.yaml:\d+:\d+: YAML syntax: /);
  const [d] = problems("http:\n  port: 1\nhttp:\n  port: 2\n");
  assert.match(d as string, /YAML syntax: .*[Mm]ap keys must be unique/);
  assert.deepEqual(problems("- 1\n- 2\n"), ["device.yaml: (top level): expected a mapping of keys, got a list"]);
});

test("loadConfig: --config path, then EDGEWATCH_CONFIG, then defaults; EDGEWATCH_DIR overrides status_dir", (t) => {
  const dir = tempDir(t);
  const file = join(dir, "c.yaml");
  writeFileSync(file, "status_dir: /srv/status\nhttp:\n  port: 9000\n");
  assert.equal(loadConfig(file, {}).config.http.port, 9000);
  assert.equal(loadConfig(undefined, { EDGEWATCH_CONFIG: file }).config.http.port, 9000);
  assert.equal(loadConfig(undefined, {}).path, null);
  assert.equal(loadConfig(file, { EDGEWATCH_DIR: "/tmp/x" }).config.status_dir, "/tmp/x");
  assert.throws(
    () => loadConfig(join(dir, "missing.yaml"), {}),
    (err: unknown) =>
      err instanceof ConfigError && /missing\.yaml: cannot read the config file: ENOENT/.test(err.message),
  );
});
