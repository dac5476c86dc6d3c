import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import { validateConfig } from "../../../src/agent/config.ts";
import { ConfigError } from "../../../src/config/load.ts";
import { tempDir } from "../../helpers/tools.ts";
import { slackServer, webhookServer } from "./contracts.ts";

const BIN = join(process.cwd(), "bin", "edgewatch");
function ew(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, EDGEWATCH_CONFIG: "" },
    timeout: 180_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Async: the contract servers live in this process, so the event loop must keep running. */
function ewAsync(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, EDGEWATCH_CONFIG: "" } });
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

const BAD = `
alerts:
  rules:
    cpuu: { warning: 80 }
    disk: { warning: 95, critical: 90 }
  silences:
    - rules: [tempreature]
notify:
  channels:
    - type: sms
    - type: telegram
      chat_id: 42
    - type: webhook
      url: "htp:/example"
    - type: ntfy
      topic: "bad topic!"
`;

test("bad alert/notify config: every problem at once, naming the key, the expectation and what was got", () => {
  const err = (() => {
    try {
      validateConfig(require_yaml(BAD), "edgewatch.yaml");
    } catch (e) {
      return e;
    }
    return null;
  })();
  assert.ok(err instanceof ConfigError);
  const p = err.problems.join("\n");
  assert.match(p, /alerts\.rules: unknown key "cpuu"|alerts\.rules\.cpuu: unknown key/);
  assert.match(p, /alerts\.rules\.disk: expected critical >= warning/);
  assert.match(p, /alerts\.silences\[0\]\.rules\[0\]: expected one of "cpu"\|.*got "tempreature"/);
  assert.match(
    p,
    /notify\.channels\[0\]\.type: expected one of "telegram"\|"discord"\|"slack"\|"ntfy"\|"webhook"\|"email", got "sms"/,
  );
  assert.match(p, /notify\.channels\[1\]\.bot_token: expected a string, got nothing \(the key is required\)/);
  assert.match(p, /notify\.channels\[2\]\.url: expected an http\(s\) URL, got "htp:\/example"/);
  assert.match(p, /notify\.channels\[3\]\.topic: expected a topic name/);
});

test("duplicate channel names are refused; defaults make an empty config valid", () => {
  assert.throws(
    () =>
      validateConfig(
        {
          notify: {
            channels: [
              { type: "webhook", url: "http://a/x" },
              { type: "webhook", url: "http://b/y" },
            ],
          },
        },
        "f",
      ),
    /notify\.channels\[1\]\.name: expected a unique channel name, got "webhook" twice/,
  );
  const c = validateConfig({}, "f");
  assert.equal(c.notify.min_level, "warning");
  assert.equal((c.alerts.rules.cpu as { warning: number }).warning, 85);
  assert.equal(c.alerts.history_size, 500);
});

test("edgewatch config check reports the same problems (exit 1)", (t) => {
  const dir = tempDir(t);
  const f = join(dir, "bad.yaml");
  writeFileSync(f, BAD);
  const r = ew(["config", "check", f]);
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /notify\.channels\[0\]\.type: expected one of .*got "sms"/);
  assert.match(r.out, /bot_token: expected a string, got nothing/);
});

test("edgewatch notify test: sends through each channel, prints each result, exit 1 when any failed", async (t) => {
  const dir = tempDir(t);
  const hook = await webhookServer(t);
  const sl = await slackServer(t);
  const f = join(dir, "ok.yaml");
  writeFileSync(
    f,
    `device: { id: cam1, site: roof }
notify:
  timeout: 60s
  channels:
    - { type: webhook, url: "${hook.url}/hook" }
    - { type: slack, name: team, webhook_url: "${sl.url}/services/T1/B1/abc" }
    - { type: slack, name: broken, webhook_url: "${sl.url}/services/nope" }
`,
  );
  const all = await ewAsync(["notify", "test", "--config", f]);
  assert.equal(all.code, 1, all.err);
  assert.match(all.out, /^ok {5}webhook \(webhook\): HTTP 200$/m);
  assert.match(all.out, /^ok {5}team \(slack\)/m);
  assert.match(all.out, /^FAILED broken \(slack\): HTTP 404: no_service \(permanent: fix the config\)$/m);
  assert.equal(hook.accepted[0]?.json.level, "INFO");
  assert.match(hook.accepted[0]?.json.message, /Test message from cam1 \(roof\) via webhook/);
  const one = await ewAsync(["notify", "test", "--channel", "team", "--config", f]);
  assert.equal(one.code, 0, one.out + one.err);
  assert.equal(sl.accepted.length, 2);
  const unknown = await ewAsync(["notify", "test", "--channel", "nope", "--config", f]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err + unknown.out, /--channel: expected one of webhook, team, broken, got "nope"/);
  const help = await ewAsync(["notify", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /edgewatch notify test/);
});

function require_yaml(text: string): unknown {
  return parseYaml(text);
}

test("the agent refuses to start on a bad notify config, saying why (exit non-zero)", async (t) => {
  const dir = tempDir(t);
  const f = join(dir, "bad.yaml");
  writeFileSync(
    f,
    `status_dir: ${dir}/s\nstate_dir: ${dir}/st\nnotify:\n  channels:\n    - { type: discord, webhook_url: "not a url" }\n`,
  );
  const r = await ewAsync(["agent", "--config", f, "--port", "0"]);
  assert.notEqual(r.code, 0);
  // a value at a secret key (webhook_url) is never printed, even when it is refused
  assert.match(r.out + r.err, /notify\.channels\[0\]\.webhook_url: expected an http\(s\) URL, got "<redacted>"/);
});
