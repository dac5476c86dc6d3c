import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import { get, until } from "../agent/core/helpers.ts";
import { requireTool, tempDir } from "../helpers/tools.ts";
import { freePort, INTEGRATIONS } from "./helpers.ts";

const DIR = join(INTEGRATIONS, "alertmanager");
const CONFIG = join(DIR, "alertmanager.yml");

test("amtool check-config passes", (t) => {
  const amtool = requireTool(t, "amtool", "prometheus-alertmanager");
  if (!amtool) return;
  const r = spawnSync(amtool, ["check-config", CONFIG], { encoding: "utf8" });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /2 inhibit rules/);
});

test("amtool config routes test: critical → phone push, warning → email, info → daily digest", (t) => {
  const amtool = requireTool(t, "amtool", "prometheus-alertmanager");
  if (!amtool) return;
  const route = (...labels: string[]) =>
    spawnSync(amtool, ["config", "routes", "test", `--config.file=${CONFIG}`, ...labels], {
      encoding: "utf8",
    }).stdout.trim();
  assert.equal(route("alertname=EdgewatchDeviceDown", "severity=critical", "device=pi-a", "site=gym"), "phone");
  assert.equal(route("alertname=EdgewatchDiskSpaceLow", "severity=warning", "device=pi-a", "site=gym"), "email");
  assert.equal(route("alertname=EdgewatchRebooted", "severity=info", "device=pi-a", "site=gym"), "daily-digest");
  assert.equal(route("alertname=Other"), "email", "an alert without severity still reaches someone");
});

interface Posted {
  path: string;
  body: Record<string, unknown>;
}

/** A stand-in for api.telegram.org that keeps what Alertmanager sends (Telegram cannot be reached from here). */
async function fakeTelegram(t: import("node:test").TestContext): Promise<{ url: string; posted: Posted[] }> {
  const posted: Posted[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const body = (req.headers["content-type"] ?? "").includes("json")
        ? (JSON.parse(text) as Record<string, unknown>)
        : Object.fromEntries(new URLSearchParams(text));
      posted.push({ path: req.url ?? "", body });
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({ ok: true, result: { message_id: posted.length, date: 0, chat: { id: 1, type: "private" } } }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, posted };
}

test("inhibition in a running Alertmanager: a down device holds back its own alerts, an unreachable site its devices'", {
  timeout: 120_000,
}, async (t) => {
  const bin = requireTool(t, "prometheus-alertmanager", "prometheus-alertmanager");
  const amtool = requireTool(t, "amtool", "prometheus-alertmanager");
  if (!bin || !amtool) return;
  const dir = tempDir(t, "ew-am-");
  const telegram = await fakeTelegram(t);
  // The shipped file, with only the Telegram endpoint pointed at the local stand-in.
  cpSync(join(DIR, "templates"), join(dir, "templates"), { recursive: true });
  const cfg = readFileSync(CONFIG, "utf8").replace(
    "parse_mode: HTML",
    `parse_mode: HTML\n        api_url: ${telegram.url}`,
  );
  assert.notEqual(cfg, readFileSync(CONFIG, "utf8"));
  writeFileSync(join(dir, "alertmanager.yml"), cfg);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc: ChildProcess = spawn(
    bin,
    [
      `--config.file=${join(dir, "alertmanager.yml")}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${base}/`,
      "--cluster.listen-address=",
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  proc.stderr?.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  t.after(() => {
    proc.kill("SIGTERM");
  });
  await until(`Alertmanager ready (${stderr})`, async () => (await get(`${base}/-/ready`)).status === 200, 30_000);

  const alert = (labels: Record<string, string>, summary: string) => ({
    labels,
    annotations: { summary, runbook_url: "docs/operations.md#x" },
    startsAt: new Date().toISOString(),
  });
  const push = await fetch(`${base}/api/v2/alerts`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify([
      alert(
        { alertname: "EdgewatchDeviceDown", severity: "critical", device: "pi-a", site: "gym" },
        "pi-a at gym is down",
      ),
      alert(
        { alertname: "EdgewatchDiskSpaceLow", severity: "warning", device: "pi-a", site: "gym", mount: "/" },
        "pi-a: low disk",
      ),
      alert(
        { alertname: "EdgewatchDiskSpaceLow", severity: "warning", device: "pi-b", site: "gym", mount: "/" },
        "pi-b: low disk",
      ),
      alert(
        { alertname: "EdgewatchSiteUnreachable", severity: "critical", site: "cabin" },
        "Site cabin is unreachable",
      ),
      alert(
        { alertname: "EdgewatchCameraOffline", severity: "critical", device: "c1", site: "cabin" },
        "c1 > camera offline",
      ),
    ]),
  });
  assert.equal(push.status, 200, await push.text());

  const query = (...args: string[]) => {
    const r = spawnSync(amtool, ["alert", "query", `--alertmanager.url=${base}/`, "-o", "json", ...args], {
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout) as { labels: Record<string, string>; status: { inhibitedBy: string[] } }[]).map(
      (a) => `${a.labels.alertname}/${a.labels.device ?? "-"}`,
    );
  };
  const inhibited = await until("both targets inhibited", () => {
    const q = query("--inhibited").sort();
    return q.length === 2 ? q : null;
  });
  assert.deepEqual(inhibited, ["EdgewatchCameraOffline/c1", "EdgewatchDiskSpaceLow/pi-a"]);
  // The sources themselves and the other device's alert stay active.
  assert.deepEqual(query("--active").sort(), [
    "EdgewatchDeviceDown/pi-a",
    "EdgewatchDiskSpaceLow/pi-b",
    "EdgewatchSiteUnreachable/-",
  ]);
  // The plain-text listing the runbook shows also names the inhibited target.
  const simple = spawnSync(amtool, ["alert", "query", "--inhibited", `--alertmanager.url=${base}/`], {
    encoding: "utf8",
  }).stdout;
  assert.match(simple, /EdgewatchDiskSpaceLow/);

  // Critical alerts reach the phone channel, with the device and the site in the text (HTML-escaped).
  const sent = await until(
    "two critical notifications on the Telegram stand-in",
    () => (telegram.posted.length >= 2 ? telegram.posted : null),
    60_000,
  );
  const texts = sent.map((p) => String(p.body.text));
  assert.ok(
    sent.every((p) => p.path === "/bot123456789:REPLACE_ME/sendMessage"),
    JSON.stringify(sent),
  );
  assert.ok(
    texts.some((x) => x.includes("<b>EdgewatchDeviceDown</b> on <b>pi-a at site gym</b>")),
    texts.join("\n"),
  );
  assert.ok(
    texts.some((x) => x.includes("<b>EdgewatchSiteUnreachable</b> on <b>site cabin</b>")),
    texts.join("\n"),
  );
  assert.ok(!texts.some((x) => x.includes("EdgewatchCameraOffline")), "the inhibited alert was not sent");
});
