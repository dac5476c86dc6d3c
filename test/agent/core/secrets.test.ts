// Secrets never leave the agent on an unauthenticated read, a log line or `config check` output:
// a real agent process (bin/edgewatch; `node scripts/build.mjs` first) runs on a config holding a
// secret in every position, then every route is read and its stderr searched for each value.
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { writeFragment } from "../../../src/protocol/fragment.ts";
import { tempDir, waitFor } from "../../helpers/tools.ts";

const BIN = join(process.cwd(), "bin", "edgewatch");

/** One distinct value per position, so a leak names where it came from. */
const SECRETS = {
  EW_TOKEN: "tok-ENV-0123456789abcdef", // http.token
  EW_QS: "qsENVsecret4242", // query string of a channel URL
  EW_HDR: "hdrENVsecret7777", // Authorization header of a channel
  EW_URLPASS: "pwENVsecret5151", // user:password@ in a URL
  EW_ARGV: "argvENVsecret9090", // --password=X in a control action's argv
  EW_ARGV2: "argv2ENVsecret3131", // ["--token", X] in a watch's restart argv
  EW_PLAIN: "plainENVvalue6262", // an ${ENV} value at an ordinary key (a log file's name)
};
/** Secrets written literally in the file, at secret-named keys. */
const LITERAL = ["literal-api-key-0123456789", "literalBasicPw8080"];
const ALL = [...Object.values(SECRETS), ...LITERAL];

function configText(dir: string, hookPort: number): string {
  return `device: { id: pi-secret, site: lab }
status_dir: ${join(dir, "status")}
state_dir: ${join(dir, "state")}
http: { bind: 127.0.0.1, port: 0, token: "\${EW_TOKEN}" }
files:
  logs:
    - { path: ${join(dir, "app.log")}, name: "\${EW_PLAIN}" }
notify:
  timeout: 5s
  channels:
    - type: webhook
      url: "http://127.0.0.1:${hookPort}/hook?token=\${EW_QS}"
      headers: { Authorization: "Bearer \${EW_HDR}", X-Api-Key: "${LITERAL[0]}" }
    - type: webhook
      name: basic
      url: "http://hookuser:\${EW_URLPASS}@127.0.0.1:${hookPort}/basic"
      headers: { Proxy-Authorization: "Basic ${LITERAL[1]}" }
  outbox: { backoff_initial: 200ms, backoff_max: 1s }
alerts:
  rules:
    heartbeat_stale: { sources: { cam: 1s } }
recovery:
  startup_grace: 0s
  sd_notify: false
  reboot: { type: command, argv: ["/bin/true"] }
  camera_test: { type: command, argv: ["/bin/sh", "-c", "echo failing; exit 3", "--password=\${EW_ARGV}"] }
  watches:
    - name: cam
      source: cam
      stale_after: 1s
      max_restarts: 1
      escalate: alert
      restart: { type: command, argv: ["/bin/false", "--token", "\${EW_ARGV2}"] }
`;
}

/** Every route path the agent's modules declare (as the docs test finds them). */
function routePaths(): string[] {
  const out = new Set<string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts"))
        for (const m of readFileSync(p, "utf8").matchAll(/\bpath: "(\/[^"]*)"/g)) out.add(m[1] as string);
    }
  };
  walk("src/agent");
  return [...out];
}

/** GET `url`; a stream (SSE) is read for `streamMs` then cut. */
function read(url: string, headers: Record<string, string> = {}, method = "GET", body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      let text = `${res.statusCode} ${JSON.stringify(res.headers)}\n`;
      const cut = setTimeout(() => {
        req.destroy();
        resolve(text);
      }, 1500);
      res.on("data", (c: Buffer) => {
        text += c.toString("utf8");
      });
      res.on("end", () => {
        clearTimeout(cut);
        resolve(text);
      });
      res.on("error", () => resolve(text));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function leaks(text: string): string[] {
  return ALL.filter((s) => text.includes(s) || text.includes(encodeURIComponent(s)));
}

async function hookThatEchoes(t: TestContext): Promise<number> {
  // a receiver that refuses everything, quoting what it got (as many do): the error goes into
  // /api/alerts, the log and the dead letters
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(req.url?.startsWith("/basic") ? 400 : 503, { "content-type": "text/plain" });
    res.end(`refused ${req.url} auth=${req.headers.authorization} key=${req.headers["x-api-key"]}`);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

test("no secret of the config reaches a GET route, the SSE stream, the audit log or stderr", async (t) => {
  const dir = tempDir(t, "ew-secrets-");
  const port = await hookThatEchoes(t);
  const cfg = join(dir, "agent.yaml");
  writeFileSync(cfg, configText(dir, port));
  writeFileSync(join(dir, "app.log"), `INFO started with key ${SECRETS.EW_HDR}\nERROR auth ${SECRETS.EW_TOKEN}\n`);
  const child: ChildProcess = spawn(process.execPath, [BIN, "agent", "--config", cfg], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...SECRETS, EDGEWATCH_DEBUG: "1" },
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  const url = (await waitFor(
    "agent listening",
    () => /"url":"(http:[^"]+)"/.exec(out)?.[1] ?? (child.exitCode !== null ? "exited" : null),
    120_000,
  )) as string;
  assert.notEqual(url, "exited", out);

  // the watched program writes once, with a secret in its status, then freezes: restart, alert, notifications
  await writeFragment("cam", { state: "running", note: `using ${SECRETS.EW_QS}` }, { dir: join(dir, "status") });
  const frag = join(dir, "status", "status.d", "cam.json");
  const old = new Date(Date.now() - 60_000);
  utimesSync(frag, old, old);

  // control actions: a refused one and an authorised one whose argv holds a secret
  await read(`${url}/api/camera/test`, { authorization: "Bearer wrong-token-0000000000" }, "POST");
  const ok = await read(`${url}/api/camera/test`, { authorization: `Bearer ${SECRETS.EW_TOKEN}` }, "POST");
  assert.match(ok, /^502 /, ok);

  await waitFor(
    "the restart failed and the channels reported errors",
    async () => {
      const r = await read(`${url}/api/recovery`);
      const a = await read(`${url}/api/alerts`);
      return /restart/.test(r) && /refused/.test(a) && /"last_error"/.test(a) ? true : null;
    },
    120_000,
  );

  const bodies: [string, string][] = [];
  for (const p of routePaths()) bodies.push([p, await read(`${url}${p}`)]);
  for (const q of ["/logs?lines=10", "/api/logs/recent?type=all", "/api/recovery?lines=100", "/api/alerts?limit=100"])
    bodies.push([q, await read(`${url}${q}`)]);
  const config = bodies.find(([p]) => p === "/config")?.[1] ?? "";
  assert.match(config, /"path":"[^"]*agent\.yaml"/, "/config names the file it loaded");
  assert.match(config, /<redacted>/);
  for (const [path, body] of bodies) assert.deepEqual(leaks(body), [], `GET ${path} leaks a secret:\n${body}`);
  assert.deepEqual(leaks(ok), [], `the control answer leaks a secret:\n${ok}`);

  const audit = readFileSync(join(dir, "state", "recovery", "audit.log"), "utf8");
  const steps = readFileSync(join(dir, "state", "recovery", "recovery.log"), "utf8");
  assert.match(steps, /restart/);
  assert.deepEqual(leaks(audit + steps), [], `the recovery logs on disk leak a secret:\n${audit}\n${steps}`);
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  assert.match(out, /notify: /, "channel failures were logged");
  assert.deepEqual(leaks(out), [], `stderr/stdout leaks a secret:\n${out}`);
});

test("config check never prints a secret, even in a value it refuses", async (t) => {
  const dir = tempDir(t, "ew-secrets-");
  const cfg = join(dir, "bad.yaml");
  writeFileSync(
    cfg,
    `http: { token: "\${EW_SHORT}" }
notify:
  channels:
    - { type: webhook, url: "htp://x/\${EW_TOKEN}", headers: { Authorization: 12345678901 } }
    - { type: ntfy, topic: "\${EW_HDR}", token: [ "${LITERAL[0]}" ] }
`,
  );
  const env = { ...process.env, ...SECRETS, EW_SHORT: "short1234" };
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve) => {
      const c = execFile(process.execPath, [BIN, "config", "check", cfg], { env }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      c.stdin?.end();
    },
  );
  assert.equal(code, 1, stdout + stderr);
  assert.match(stdout, /http\.token/, stdout);
  assert.match(stdout, /<redacted>/, stdout);
  assert.deepEqual(leaks(stdout + stderr), [], stdout + stderr);
  assert.doesNotMatch(stdout + stderr, /short1234/, stdout);
});

test("/config names the file the running values came from, and the keys that are not that file's", async (t) => {
  const { loadConfig } = await import("../../../src/agent/config.ts");
  const { startAgent } = await import("../../../src/agent/agent.ts");
  const dir = tempDir(t, "ew-config-");
  const file = join(dir, "agent.yaml");
  writeFileSync(
    file,
    `status_dir: ${join(dir, "s")}\nstate_dir: ${join(dir, "st")}\nhttp: { bind: 127.0.0.1, port: 0 }\n`,
  );
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  // as `edgewatch demo` does: the file's config with some keys replaced
  const base = loadConfig(file, {}).config;
  const copy = { ...base, status_dir: join(dir, "elsewhere"), files: { ...base.files, photos: ["/x/*.jpg"] } };
  const a = await startAgent(copy, { configPath: file, log: quiet, port: 0, host: "127.0.0.1" });
  t.after(() => a.stop());
  const r = (await (await fetch(`${a.url}/config`)).json()) as { path: string; overrides: string[]; config: unknown };
  assert.equal(r.path, file);
  assert.deepEqual(r.overrides.sort(), ["files.photos", "status_dir"]);
  // EDGEWATCH_DIR replaces status_dir after the file is read: said so too
  const env = loadConfig(file, { EDGEWATCH_DIR: join(dir, "envdir") }).config;
  const b = await startAgent(env, { configPath: file, log: quiet, port: 0, host: "127.0.0.1" });
  t.after(() => b.stop());
  const rb = (await (await fetch(`${b.url}/config`)).json()) as { path: string; overrides: string[] };
  assert.equal(rb.path, file);
  assert.deepEqual(rb.overrides, ["status_dir"]);
  await a.stop(); // before the temp dir goes
  await b.stop();
});
