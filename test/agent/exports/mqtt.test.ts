import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { updateStatus } from "../../../src/protocol/fragment.ts";
import { requireTool } from "../../helpers/tools.ts";
import { until } from "../core/helpers.ts";
import { daemon, freePort, onCleanup, sleep, workDir } from "./helpers.ts";

const TOKEN = "mqtt-test-token-0123456789";
const ROOT = new URL("../../../", import.meta.url).pathname;

interface Msg {
  retained: boolean;
  topic: string;
  payload: string;
}

/** mosquitto_sub printing retain flag, topic and payload, one message per line. */
function subscriber(t: Parameters<typeof daemon>[0], bin: string, port: number, topics: string[]): { msgs: Msg[] } {
  const args = ["-h", "127.0.0.1", "-p", String(port), "-F", "%r\t%t\t%p", ...topics.flatMap((x) => ["-t", x])];
  const proc = spawn(bin, args, { stdio: ["ignore", "pipe", "ignore"] });
  onCleanup(t, () => {
    proc.kill("SIGKILL");
  });
  const msgs: Msg[] = [];
  let rest = "";
  proc.stdout.on("data", (c: Buffer) => {
    const lines = (rest + c.toString()).split("\n");
    rest = lines.pop() ?? "";
    for (const l of lines) {
      const [r, topic, ...p] = l.split("\t");
      msgs.push({ retained: r === "1", topic: topic as string, payload: p.join("\t") });
    }
  });
  return { msgs };
}

/** The real agent as its own process (so SIGKILL leaves the broker to publish its last will). */
async function agentProcess(
  t: Parameters<typeof daemon>[0],
  dir: string,
  config: object,
): Promise<{ proc: ChildProcess; url: string }> {
  const file = join(dir, "agent.json");
  writeFileSync(file, JSON.stringify(config));
  const proc = spawn(
    process.execPath,
    [join(ROOT, "bin/edgewatch"), "agent", "--config", file, "--port", "0", "--bind", "127.0.0.1"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  onCleanup(t, () => {
    proc.kill("SIGKILL");
  });
  let out = "";
  proc.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  let err = "";
  proc.stderr?.on("data", (c: Buffer) => {
    err = (err + c.toString()).slice(-3000);
  });
  const url = await until(`the agent to listen (${err})`, () => /listening on (http:\/\/\S+)/.exec(out)?.[1], 30_000);
  return { proc, url };
}

const HA_TOPIC = /^homeassistant\/(sensor|binary_sensor|button)\/([a-zA-Z0-9_-]+)\/config$/;

test("mqtt: Home Assistant discovery on the real mosquitto — retained configs, states on change, last will, buttons audited only when enabled", {
  timeout: 180_000,
}, async (t) => {
  const mosquitto = requireTool(t, "mosquitto");
  const sub = requireTool(t, "mosquitto_sub", "mosquitto-clients");
  const pub = requireTool(t, "mosquitto_pub", "mosquitto-clients");
  if (!mosquitto || !sub || !pub) return;
  assert.ok(existsSync(join(ROOT, "dist/edgewatch.mjs")), "run npm run build first");
  const dir = workDir(t);
  const port = await freePort();
  writeFileSync(join(dir, "mosquitto.conf"), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  daemon(t, mosquitto, ["-c", join(dir, "mosquitto.conf")]);
  await until(
    "mosquitto up",
    () => {
      try {
        execFileSync(pub, ["-h", "127.0.0.1", "-p", String(port), "-t", "probe", "-m", "x"], { stdio: "ignore" });
        return true;
      } catch {
        return false;
      }
    },
    20_000,
  );
  const live = subscriber(t, sub, port, ["homeassistant/#", "edgewatch/#"]);
  const statusDir = join(dir, "status");
  const config = (buttons: boolean) => ({
    device: { id: "pi-test", site: "gym" },
    status_dir: statusDir,
    state_dir: join(dir, "state"),
    http: { token: TOKEN },
    recovery: {
      sd_notify: false,
      camera_test: {
        type: "command",
        argv: ["sh", "-c", 'echo pressed >> "$0"', join(dir, "pressed")],
        timeout: "10s",
      },
    },
    exports: {
      mqtt: {
        url: `mqtt://127.0.0.1:${port}`,
        keepalive: "5s",
        buttons: { enabled: buttons, actions: ["camera_test"] },
      },
    },
  });

  // 1. buttons on: retained configs valid for Home Assistant, availability online
  let agent = await agentProcess(t, dir, config(true));
  const retained = subscriber(t, sub, port, ["homeassistant/#", "edgewatch/#"]);
  await until(
    "the retained discovery configs",
    () => retained.msgs.filter((m) => HA_TOPIC.test(m.topic)).length >= 8,
    30_000,
  );
  const configs = retained.msgs.filter((m) => HA_TOPIC.test(m.topic));
  for (const m of configs) {
    assert.ok(m.retained, `${m.topic} retained`);
    const [, component, objectId] = HA_TOPIC.exec(m.topic) as RegExpExecArray;
    const c = JSON.parse(m.payload);
    assert.equal(c.unique_id, objectId, "object_id in the topic is the unique_id");
    assert.match(c.unique_id, /^edgewatch_pi-test_/);
    assert.deepEqual(c.device.identifiers, ["edgewatch_pi-test"]);
    assert.equal(c.device.name, "pi-test");
    assert.equal(c.availability_topic, "edgewatch/pi-test/availability");
    assert.equal(typeof c.origin.name, "string");
    if (component === "button") assert.equal(c.command_topic, "edgewatch/pi-test/command/camera_test");
    else assert.equal(c.state_topic, "edgewatch/pi-test/state");
  }
  const ids = configs.map((m) => JSON.parse(m.payload).unique_id.replace("edgewatch_pi-test_", "")).sort();
  assert.deepEqual(ids, [
    "alerts_firing",
    "camera_test",
    "capturing",
    "disk_used",
    "photos_today",
    "problem",
    "status",
    "temperature",
  ]);
  await until(
    "availability online",
    () =>
      retained.msgs.some((m) => m.topic === "edgewatch/pi-test/availability" && m.payload === "online" && m.retained),
    10_000,
  );

  // 2. states change when the device's status changes
  await updateStatus("timelapse", { status: "capturing", today: { photos_captured: 12 } }, { dir: statusDir });
  const st = await until("a state with status capturing", () =>
    live.msgs
      .map((m) => (m.topic === "edgewatch/pi-test/state" ? JSON.parse(m.payload) : null))
      .find((s) => s?.status === "capturing"),
  );
  assert.equal(st.capturing, "ON");
  assert.equal(st.photos_today, 12);

  // 3. a button press runs the action, through the control route and its audit log
  execFileSync(pub, [
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-t",
    "edgewatch/pi-test/command/camera_test",
    "-m",
    "PRESS",
  ]);
  await until("the action to run", () => existsSync(join(dir, "pressed")), 20_000);
  const audit = join(dir, "state", "recovery", "audit.log");
  await until("an audit line", () => existsSync(audit) && readFileSync(audit, "utf8").includes("camera_test"), 10_000);

  // 4. SIGKILL: the broker publishes the retained last will
  agent.proc.kill("SIGKILL");
  await until(
    "the last will offline",
    () => live.msgs.some((m) => m.topic === "edgewatch/pi-test/availability" && m.payload === "offline"),
    30_000,
  );

  // 5. buttons off: the button's config is removed (empty retained), and a press does nothing
  const before = live.msgs.length;
  agent = await agentProcess(t, dir, config(false));
  await until(
    "the button config emptied",
    () =>
      live.msgs
        .slice(before)
        .some((m) => m.topic === "homeassistant/button/edgewatch_pi-test_camera_test/config" && m.payload === ""),
    30_000,
  );
  const fresh = subscriber(t, sub, port, ["homeassistant/#"]);
  await until("retained configs for a new subscriber", () => fresh.msgs.length >= 7, 20_000);
  await sleep(500);
  assert.equal(
    fresh.msgs.filter((m) => m.topic.startsWith("homeassistant/button/")).length,
    0,
    "no button config left",
  );
  const pressedBefore = readFileSync(join(dir, "pressed"), "utf8");
  const auditBefore = readFileSync(audit, "utf8");
  execFileSync(pub, [
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-t",
    "edgewatch/pi-test/command/camera_test",
    "-m",
    "PRESS",
  ]);
  await sleep(2000);
  assert.equal(readFileSync(join(dir, "pressed"), "utf8"), pressedBefore, "no action while buttons are off");
  assert.equal(readFileSync(audit, "utf8"), auditBefore);

  // 6. Home Assistant restarting: `online` on homeassistant/status brings every config again
  const n = live.msgs.length;
  execFileSync(pub, ["-h", "127.0.0.1", "-p", String(port), "-t", "homeassistant/status", "-m", "online"]);
  await until(
    "configs re-published",
    () => live.msgs.slice(n).filter((m) => HA_TOPIC.test(m.topic)).length >= 7,
    10_000,
  );
  agent.proc.kill("SIGTERM");
});

test("mqtt: a broker with a password file takes the agent's user name and password; a wrong one is named in /health/deep", {
  timeout: 60_000,
}, async (t) => {
  const mosquitto = requireTool(t, "mosquitto");
  const sub = requireTool(t, "mosquitto_sub", "mosquitto-clients");
  const passwd = requireTool(t, "mosquitto_passwd", "mosquitto");
  if (!mosquitto || !sub || !passwd) return;
  const dir = workDir(t);
  const port = await freePort();
  execFileSync(passwd, ["-b", "-c", join(dir, "passwd"), "edgewatch", "s3cret pass"]);
  execFileSync(passwd, ["-b", join(dir, "passwd"), "viewer", "viewer-pass"]);
  // Started as root, mosquitto drops to its own user: it must be able to read the file.
  chmodSync(dir, 0o755);
  chmodSync(join(dir, "passwd"), 0o644);
  writeFileSync(
    join(dir, "mosquitto.conf"),
    `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${join(dir, "passwd")}\npersistence false\n`,
  );
  const broker = daemon(t, mosquitto, ["-c", join(dir, "mosquitto.conf")]);
  await sleep(300);
  assert.equal(broker.proc.exitCode, null, `mosquitto exited: ${broker.stderr()}`);
  const { agentOn } = await import("./helpers.ts");
  const { get } = await import("../core/helpers.ts");
  const good = await agentOn(t, join(dir, "good"), {
    device: { id: "pi-auth", site: "lab" },
    exports: { mqtt: { url: `mqtt://127.0.0.1:${port}`, username: "edgewatch", password: "s3cret pass" } },
  });
  const args = [
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-u",
    "viewer",
    "-P",
    "viewer-pass",
    "-F",
    "%r\t%t\t%p",
    "-t",
    "edgewatch/#",
  ];
  const seen = await until(
    "the retained availability",
    () => {
      try {
        return execFileSync(sub, [...args, "-W", "2"], { encoding: "utf8" }).includes(
          "edgewatch/pi-auth/availability\tonline",
        );
      } catch (err) {
        return String((err as { stdout?: string }).stdout ?? "").includes("edgewatch/pi-auth/availability\tonline");
      }
    },
    30_000,
  );
  assert.ok(seen);
  const okHealth = (await get(`${good.url}/health/deep`)).json<{ checks: Record<string, { detail: string }> }>();
  assert.doesNotMatch(okHealth.checks.exports?.detail ?? "", /failing/);

  const bad = await agentOn(t, join(dir, "bad"), {
    device: { id: "pi-bad", site: "lab" },
    exports: { mqtt: { url: `mqtt://127.0.0.1:${port}`, username: "edgewatch", password: "wrong" } },
  });
  await until(
    "the refusal named in /health/deep",
    async () => {
      const h = (await get(`${bad.url}/health/deep`)).json<{ checks: Record<string, { detail: string }> }>();
      return /broker refused the connection: (bad user name or password|not authorized)/.test(
        h.checks.exports?.detail ?? "",
      );
    },
    20_000,
  );
});
