// `edgewatch drill` against a real agent: the test alert reaches a real webhook receiver (and not a
// dead one), every restart action is dry-run, the reboot guard is shown; the report says so.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { parse, parseDocument } from "yaml";
import { startAgent } from "../../src/agent/agent.ts";
import { validateConfig } from "../../src/agent/config.ts";
import { webhookServer } from "../agent/notify/contracts.ts";
import { tempDir, waitFor } from "../helpers/tools.ts";

const MAIN = join(process.cwd(), "src", "cli", "main.ts");

function ew(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
      env: { ...process.env, EDGEWATCH_CONFIG: "", EDGEWATCH_DIR: "" },
    });
    let out = "";
    let err = "";
    c.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    c.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    c.on("close", (code) => resolve({ code, out, err }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function device(t: TestContext, channels: string[]) {
  const root = tempDir(t, "ew-drill-");
  mkdirSync(join(root, "run", "status.d"), { recursive: true });
  const port = await freePort();
  const cfg = join(root, "config.yaml");
  writeFileSync(
    cfg,
    `device: { id: Pi0Cam, site: cabin }
status_dir: ${join(root, "run")}
state_dir: ${join(root, "state")}
http: { bind: 127.0.0.1, port: ${port} }
notify:
  channels:
${channels.map((c) => `    - ${c}`).join("\n")}
recovery:
  startup_grace: 0
  sd_notify: false
  reboot: { type: command, argv: [sh, -c, "echo would reboot"] }
  watches:
    - { name: capture, source: timelapse, stale_after: 1h, restart: { type: command, argv: [sh, -c, "echo restart"] } }
    - { name: uploader, source: uploader, stale_after: 1h, restart: { type: command, argv: [no-such-restart-program, now] } }
`,
  );
  const config = validateConfig(parse((await import("node:fs")).readFileSync(cfg, "utf8")), cfg);
  const agent = await startAgent(config, {
    port,
    host: "127.0.0.1",
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });
  t.after(() => agent.stop());
  return { cfg, agent };
}

test("drill against a real agent: the test alert reaches the channel, restart actions are dry-run, the guard is shown", {
  timeout: 120_000,
}, async (t) => {
  const hook = await webhookServer(t);
  const dead = await freePort();
  const d = await device(t, [
    `{ type: webhook, name: phone, url: "${hook.url}/hook" }`,
    `{ type: webhook, name: dead, url: "http://127.0.0.1:${dead}/hook" }`,
  ]);
  const r = await ew(["drill", "--config", d.cfg, "--timeout", "8"]);
  assert.equal(r.code, 1, `${r.out}\n${r.err}`);
  const lines = r.out.trim().split("\n");
  const has = (re: RegExp) =>
    assert.ok(
      lines.some((l) => re.test(l)),
      `a line matching ${re} in:\n${r.out}`,
    );
  has(/^PASS {2}agent: answers at http:\/\/127\.0\.0\.1:\d+$/);
  has(/^PASS {2}channel phone: test alert delivered after [\d.]+ s$/);
  has(/^FAIL {2}channel dead: test alert not delivered within 8 s; last error: .*ECONNREFUSED/);
  has(/^PASS {2}watch capture restart \(dry run\): would run: sh -c echo restart$/);
  has(/^FAIL {2}watch uploader restart \(dry run\): .*"no-such-restart-program" is not an executable program here$/);
  has(/^INFO {2}reboot guard: 0 of 3 automatic reboots used in the last 24 h; a reboot would be allowed now$/);
  has(/^PASS {2}reboot action \(dry run\): would run: sh -c echo would reboot$/);
  assert.match(lines.at(-1) ?? "", /^drill FAILED: \d+ passed, 2 failed, \d+ warnings$/);
  // What the phone got: the test alert, then (the all-clear) its RESOLVED notice. Nothing was restarted.
  await waitFor("the resolved notice", () => hook.accepted.length >= 2, 30_000);
  assert.match(hook.accepted[0]?.json.message, /fire drill: test alert from edgewatch drill/);
  assert.match(hook.accepted[1]?.json.message, /^RESOLVED: /);
  const rec = (await (await fetch(`${d.agent.url}/api/recovery`)).json()) as { log: unknown[] };
  assert.deepEqual(rec.log, [], "no recovery step ran");
});

test("drill --json: every check passes when the channel works and the actions exist", {
  timeout: 120_000,
}, async (t) => {
  const hook = await webhookServer(t);
  const d = await device(t, [`{ type: webhook, url: "${hook.url}/hook" }`]);
  writeFileSync(
    d.cfg,
    (await import("node:fs")).readFileSync(d.cfg, "utf8").replace(/\n {4}- \{ name: uploader.*\n/, "\n"),
  );
  const r = await ew(["drill", "--json", "--config", d.cfg]);
  assert.equal(r.code, 0, `${r.out}\n${r.err}`);
  const report = JSON.parse(r.out);
  assert.equal(report.ok, true);
  assert.deepEqual(
    report.checks.filter((c: { verdict: string }) => c.verdict === "PASS").map((c: { step: string }) => c.step),
    ["agent", "channel webhook", "watch capture", "watch capture restart (dry run)", "reboot action (dry run)"],
  );
  assert.match(report.summary, /^drill passed: 5 passed, 0 failed, 0 warnings$/);
});

test("drill against `edgewatch demo`: the demo's config file points the drill at it; the report shows what passes and what is missing", {
  timeout: 180_000,
}, async (t) => {
  const dir = tempDir(t, "ew-drill-demo-");
  const demo = spawn(
    process.execPath,
    ["--import", "tsx", MAIN, "demo", "--dir", dir, "--port", "0", "--interval", "0.5", "--duration", "300"],
    { env: { ...process.env, EDGEWATCH_CONFIG: "", EDGEWATCH_DIR: "" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  demo.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  demo.stderr.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<number | null>((r) => demo.once("exit", (code) => r(code)));
  t.after(async () => {
    if (demo.exitCode === null) demo.kill("SIGTERM");
    await exited;
  });
  const effective = (await waitFor(
    "the demo's config file",
    () => /config in effect in (\S+?)(;|\n)/.exec(out)?.[1] ?? null,
    120_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; output:\n${out}`);
  })) as string;
  assert.equal(effective, join(dir, "config.yaml"));
  const url = /agent on (http:\/\/\S+)/.exec(out)?.[1] as string;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);

  const r = await ew(["drill", "--config", effective, "--timeout", "30"]);
  const lines = r.out.trim().split("\n");
  const has = (re: RegExp) =>
    assert.ok(
      lines.some((l) => re.test(l)),
      `a line matching ${re} in:\n${r.out}\n${r.err}`,
    );
  assert.equal(lines[0], `edgewatch drill on demo-pi (demo), agent at ${url}`);
  has(new RegExp(`^PASS {2}agent: answers at ${url.replaceAll(".", "\\.")}$`));
  has(new RegExp(`^INFO {2}alert path: test event (DRILL-\\w+) written to ${join(dir, "status")}; waiting up to 30 s`));
  has(/^PASS {2}channel demo-sink: test alert delivered after [\d.]+ s$/);
  has(/^WARN {2}watches: none configured \(recovery\.watches\): nothing restarts a stuck program$/);
  has(/^INFO {2}reboot guard: 0 of 3 automatic reboots used in the last 24 h; a reboot would be allowed now$/);
  // The default reboot action is `sudo systemctl reboot`: whether sudo would run it depends on the machine.
  has(
    /^(PASS {2}reboot action \(dry run\): would run: sudo \/usr\/bin\/systemctl reboot|FAIL {2}reboot action \(dry run\): .*sudo.*)$/,
  );
  assert.match(lines.at(-1) ?? "", /^drill (passed|FAILED): \d+ passed, [01] failed, 1 warnings$/);
  assert.equal(r.err, "");
  // The demo's own sink printed the test alert, then its all-clear: the path end to end.
  const code = /test event (DRILL-\w+)/.exec(r.out)?.[1] as string;
  await waitFor("the RESOLVED notice in the demo's output", () => /notify \S+\s+RESOLVED: /.test(out), 30_000).catch(
    (err: Error) => {
      throw new Error(`${err.message}; output:\n${out}`);
    },
  );
  assert.match(out, /notify CRITICAL\s+.*fire drill: test alert from edgewatch drill/);
  assert.match(out, new RegExp(`event .* critical drill: fire drill: test alert .*\\[${code}\\]`));

  // The same demo with no channel: the drill says so in one clear line and exits 1, no crash.
  const bare = join(dir, "no-channels.yaml");
  const doc = parseDocument(readFileSync(effective, "utf8"));
  doc.setIn(["notify", "channels"], doc.createNode([]));
  writeFileSync(bare, String(doc));
  const n = await ew(["drill", "--config", bare, "--timeout", "5"]);
  assert.equal(n.code, 1, `${n.out}\n${n.err}`);
  assert.ok(
    n.out.split("\n").includes("FAIL  alert path: no notification channels configured (notify.channels)"),
    n.out,
  );
  assert.ok(n.out.split("\n").includes(`PASS  agent: answers at ${url}`), n.out);
  assert.equal(n.err, "");

  demo.kill("SIGTERM");
  assert.equal(await exited, 0, out);
});
