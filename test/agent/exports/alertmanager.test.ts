import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { emitEvent } from "../../../src/protocol/events.ts";
import { requireTool } from "../../helpers/tools.ts";
import { get, until } from "../core/helpers.ts";
import { agentOn, daemon, freePort, receiver, workDir } from "./helpers.ts";

interface AmQueryAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  endsAt: string;
}
interface Webhook {
  status: string;
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}

test("alertmanager: an agent alert shows in `amtool alert query` with device/site/rule/severity; on clear it resolves with its annotations", {
  timeout: 180_000,
}, async (t) => {
  const am = requireTool(t, "prometheus-alertmanager", "prometheus-alertmanager");
  const amtool = requireTool(t, "amtool", "prometheus-alertmanager");
  if (!am || !amtool) return;
  const dir = workDir(t);
  const hook = await receiver(t, (_r, res) => {
    res.writeHead(200).end();
  });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(dir, "am.yml"),
    `route:\n  receiver: hook\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: ${hook.url}/hook\n        send_resolved: true\n`,
  );
  const d = daemon(t, am, [
    `--config.file=${join(dir, "am.yml")}`,
    `--storage.path=${join(dir, "am")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--web.external-url=${base}/`,
    "--cluster.listen-address=",
  ]);
  await until(
    `Alertmanager ready (${d.stderr()})`,
    async () => (await get(`${base}/-/ready`).catch(() => null))?.status === 200,
    60_000,
  );
  const a = await agentOn(t, dir, {
    exports: {
      alertmanager: { url: base, resend_interval: "2s", generator_url: "http://pi-test.local:8080/api/alerts" },
    },
  });
  await emitEvent(
    "timelapse",
    { level: "critical", message: "camera not detected", code: "CAM_MISSING" },
    { dir: a.statusDir },
  );

  const query = (): AmQueryAlert[] =>
    JSON.parse(
      execFileSync(amtool, ["alert", "query", "-o", "json", `--alertmanager.url=${base}`], { encoding: "utf8" }),
    );
  const shown = await until(
    "amtool to list the alert",
    () => query().find((x) => x.labels.alertname === "events"),
    60_000,
  );
  assert.deepEqual(
    { ...shown.labels },
    {
      alertname: "events",
      rule: "events",
      severity: "critical",
      device: "pi-test",
      site: "lab",
      source: "timelapse",
      key: "timelapse:CAM_MISSING",
    },
  );
  assert.equal(shown.annotations.summary, "timelapse: camera not detected");
  assert.equal(shown.annotations.code, "CAM_MISSING");
  assert.ok(Date.parse(shown.endsAt) > Date.now() + 2000, `endsAt ${shown.endsAt} is ahead while firing`);
  // re-sent while firing: endsAt moves forward
  await until(
    "a re-send to move endsAt",
    () => Date.parse(query()[0]?.endsAt ?? "") > Date.parse(shown.endsAt),
    30_000,
  );

  await emitEvent("timelapse", { level: "info", message: "camera back", code: "CAM_MISSING" }, { dir: a.statusDir });
  const resolved = await until(
    "the resolved notification from Alertmanager",
    () =>
      hook.got
        .map((r) => JSON.parse(r.body.toString()) as Webhook)
        .flatMap((w) => w.alerts)
        .find((x) => x.status === "resolved"),
    60_000,
  );
  assert.equal(resolved.labels.device, "pi-test");
  assert.equal(resolved.annotations.summary, "timelapse: camera not detected", "annotations intact on resolve");
  assert.equal(resolved.annotations.code, "CAM_MISSING");
  assert.equal(query().filter((x) => x.labels.alertname === "events").length, 0, "no longer active");
});
