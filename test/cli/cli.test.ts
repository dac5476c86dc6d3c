import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { commands } from "../../src/cli/commands.ts";
import { tempDir } from "../helpers/tools.ts";

const BIN = join(process.cwd(), "bin", "edgewatch");

function ew(args: string[], env: NodeJS.ProcessEnv = {}) {
  const res = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, EDGEWATCH_CONFIG: "", ...env },
    timeout: 30_000,
  });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

test("status set/get: key paths, JSON-or-string values, deep merge per source", (t) => {
  const dir = tempDir(t);
  const env = { EDGEWATCH_DIR: dir };
  assert.equal(
    ew(["status", "set", "--source", "timelapse", "status=capturing", "today.photos_captured=41"], env).code,
    0,
  );
  assert.equal(
    ew(["status", "set", "--source", "timelapse", "today.photos_captured=42", "camera.name=pi cam"], env).code,
    0,
  );
  assert.equal(ew(["status", "set", "--source", "manager", 'backup={"ok":true}', "note=[oops"], env).code, 0);
  const frag = JSON.parse(readFileSync(join(dir, "status.d", "timelapse.json"), "utf8"));
  assert.equal(frag.status, "capturing");
  assert.deepEqual(frag.today, { photos_captured: 42 });
  assert.equal(frag.camera.name, "pi cam");
  const doc = JSON.parse(ew(["status", "get", "--json"], env).out);
  assert.deepEqual(doc.backup, { ok: true }, "a value that parses as JSON is JSON");
  assert.equal(doc.note, "[oops", "a value that does not parse is kept as a string");
  const one = ew(["status", "get", "today.photos_captured"], env);
  assert.equal(one.code, 0);
  assert.equal(one.out.trim(), "42");
  const missing = ew(["status", "get", "no.such.key"], env);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /no\.such\.key/);
});

test("status set: malformed key=value, bad source, bad status value → non-zero exit, clear message, nothing written", (t) => {
  const dir = tempDir(t);
  const env = { EDGEWATCH_DIR: dir };
  const noEq = ew(["status", "set", "photos"], env);
  assert.equal(noEq.code, 2);
  assert.match(noEq.err, /expected key\.path=value, got "photos"/);
  const emptyKey = ew(["status", "set", "=5"], env);
  assert.equal(emptyKey.code, 2);
  const badKey = ew(["status", "set", "a..b=1"], env);
  assert.equal(badKey.code, 2);
  const src = ew(["status", "set", "--source", "../x", "a=1"], env);
  assert.equal(src.code, 1);
  assert.match(src.err, /source name: expected \[a-z0-9\]\[a-z0-9_-\]\{0,63\}.*got "\.\.\/x"/);
  const st = ew(["status", "set", "status=running"], env);
  assert.equal(st.code, 1);
  assert.match(st.err, /reserved key "status": expected one of idle\|waiting\|capturing/);
  assert.deepEqual(readdirSync(join(dir, "status.d")), [], "no fragment written by a refused command");
});

test("event: writes one maildir event; unknown level and missing message are usage errors", (t) => {
  const dir = tempDir(t);
  const env = { EDGEWATCH_DIR: dir };
  const ok = ew(
    ["event", "error", "capture failed", "--code", "CAP-001", "--source", "timelapse", "--field", "attempt=3"],
    env,
  );
  assert.equal(ok.code, 0, ok.err);
  const [name] = readdirSync(join(dir, "events", "new"));
  const ev = JSON.parse(readFileSync(join(dir, "events", "new", name as string), "utf8"));
  assert.deepEqual(
    { level: ev.level, message: ev.message, code: ev.code, source: ev.source, fields: ev.fields },
    { level: "error", message: "capture failed", code: "CAP-001", source: "timelapse", fields: { attempt: 3 } },
  );
  const bad = ew(["event", "fatal", "x"], env);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /level: expected one of debug\|info\|warning\|error\|critical, got "fatal"/);
  const none = ew(["event", "error"], env);
  assert.equal(none.code, 2);
});

test("an unwritable status dir is a clear error with a non-zero exit", (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "plainfile"), "");
  const res = ew(["status", "set", "a=1"], { EDGEWATCH_DIR: join(dir, "plainfile", "status") });
  assert.equal(res.code, 1);
  assert.match(res.err, /cannot create status directory .*plainfile/);
  const hb = ew(["heartbeat", "cam"], { EDGEWATCH_DIR: join(dir, "plainfile", "status") });
  assert.equal(hb.code, 1);
  assert.match(hb.err, /plainfile/);
});

test("heartbeat SOURCE creates or touches the fragment", (t) => {
  const dir = tempDir(t);
  assert.equal(ew(["heartbeat", "recorder"], { EDGEWATCH_DIR: dir }).code, 0);
  assert.ok(readdirSync(join(dir, "status.d")).includes("recorder.json"));
  assert.equal(ew(["heartbeat"], { EDGEWATCH_DIR: dir }).code, 2);
});

test("config check prints every problem (exit 1) or ok (exit 0)", (t) => {
  const dir = tempDir(t);
  const bad = join(dir, "bad.yaml");
  writeFileSync(bad, 'http:\n  port: "80"\n  tokn: x\ndevice: [1]\n');
  const res = ew(["config", "check", bad]);
  assert.equal(res.code, 1);
  const lines = res.out.trim().split("\n").sort();
  assert.deepEqual(lines, [
    `${bad}: device: expected a mapping (key: value), got a list`,
    `${bad}: http.port: expected a number, got "80"`,
    `${bad}: http.tokn: unknown key; did you mean "token"?`,
  ]);
  const good = join(dir, "good.yaml");
  writeFileSync(good, "device:\n  id: roof-cam\n");
  const ok = ew(["config", "check", good]);
  assert.equal(ok.code, 0);
  assert.equal(ok.out, "ok\n");
  assert.equal(ew(["config", "check"]).code, 2);
  const schema = ew(["config", "schema"]);
  assert.equal(JSON.parse(schema.out).type, "object");
});

test("every command has --help; unknown commands and flags are usage errors (exit 2)", () => {
  const top = ew(["--help"]);
  assert.equal(top.code, 0);
  for (const c of commands) {
    assert.match(top.out, new RegExp(`\\n  ${c.name} `), `${c.name} listed in the top help`);
    const h = ew([c.name, "--help"]);
    assert.equal(h.code, 0, `${c.name} --help exits 0`);
    assert.match(h.out, /Usage:/, `${c.name} --help prints usage`);
  }
  const unknown = ew(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown command "frobnicate"; expected one of: /);
  const flag = ew(["status", "get", "--bogus"]);
  assert.equal(flag.code, 2);
  assert.match(flag.err, /--bogus/);
  assert.equal(ew(["--version"]).out.trim(), JSON.parse(readFileSync("package.json", "utf8")).version);
});

test("every src/cli/*.ts command file is registered", () => {
  const files = readdirSync("src/cli").filter(
    (f) => f.endsWith(".ts") && !["command.ts", "commands.ts", "main.ts"].includes(f),
  );
  const names = new Set(commands.map((c) => c.name));
  for (const f of files) assert.ok(names.has(f.replace(/\.ts$/, "")), `src/cli/${f} is not in src/cli/commands.ts`);
});
