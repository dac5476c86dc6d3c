import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { agentConfigSchema, parseConfigText } from "../../../src/agent/config.ts";
import { exportTypes } from "../../../src/agent/exports/index.ts";
import { get, until } from "../core/helpers.ts";
import { agentOn, freePort, scrape, workDir } from "./helpers.ts";

const SRC = new URL("../../../src/agent/exports/", import.meta.url).pathname;

/** The smallest config of each export type, pointing at `port` on loopback (where nothing listens). */
const minimal: Record<string, (port: number) => Record<string, unknown>> = {
  remote_write: (p) => ({
    url: `http://127.0.0.1:${p}/api/v1/write`,
    interval: "1s",
    queue: { backoff_initial: "200ms" },
  }),
  loki: (p) => ({ url: `http://127.0.0.1:${p}`, batch_wait: "100ms", queue: { backoff_initial: "200ms" } }),
  alertmanager: (p) => ({ url: `http://127.0.0.1:${p}`, backoff_initial: "200ms" }),
  mqtt: (p) => ({ url: `mqtt://127.0.0.1:${p}` }),
};

test("every export file is listed in the index, and every listed type has a contract fixture", () => {
  const defining = readdirSync(SRC)
    .filter((f) => f.endsWith(".ts") && readFileSync(join(SRC, f), "utf8").includes("defineExport({"))
    .map((f) => f.replace(/\.ts$/, ""));
  assert.equal(defining.length, exportTypes.length, `files defining an export: ${defining.join(", ")}`);
  for (const t of exportTypes) assert.ok(minimal[t.type], `no contract fixture for ${t.type}`);
});

for (const type of exportTypes) {
  test(`export contract: ${type.type} — validated config with clear errors; with its receiver down the agent runs, counts failures, reports health and stops cleanly`, {
    timeout: 60_000,
  }, async (t) => {
    const port = await freePort();
    const cfg = (minimal[type.type] as (p: number) => Record<string, unknown>)(port);
    const wrap = (v: unknown) => ({ exports: { [type.type]: type.list ? [v] : v } });
    assert.ok(agentConfigSchema().safeParse(wrap(cfg)).success, "the minimal config is valid");
    const unknown = agentConfigSchema().safeParse(wrap({ ...cfg, bogus_key: 1 }));
    assert.ok(
      !unknown.success && JSON.stringify(unknown.error.issues).includes("bogus_key"),
      "an unknown key is named",
    );
    const badUrl = agentConfigSchema().safeParse(wrap({ ...cfg, url: "htp:/nowhere" }));
    assert.ok(
      !badUrl.success && /expected an? .*URL/.test(JSON.stringify(badUrl.error.issues)),
      "a bad URL says what was expected",
    );

    const dir = workDir(t);
    const a = await agentOn(t, dir, wrap(cfg));
    if (type.type === "alertmanager") {
      await a.state.setAlert({
        id: "disk",
        rule: "disk",
        severity: "warning",
        state: "firing",
        summary: "disk full",
        since: new Date().toISOString(),
      });
    }
    if (type.type === "loki") {
      const { emitEvent } = await import("../../../src/protocol/events.ts");
      await emitEvent("cam", { level: "warning", message: "x" }, { dir: a.statusDir });
    }
    const failed = await until(
      `${type.type} to count a failed attempt`,
      async () => {
        const text = (await get(`${a.url}/metrics`)).body;
        if (type.type === "mqtt")
          return /failing: mqtt/.test(
            (await get(`${a.url}/health/deep`)).json<{ checks: Record<string, { detail: string }> }>().checks.exports
              ?.detail ?? "",
          );
        return (scrape(text, "edgewatch_export_failed_total", { type: type.type }) ?? 0) > 0;
      },
      30_000,
    );
    assert.ok(failed);
    const text = (await get(`${a.url}/metrics`)).body;
    for (const m of ["edgewatch_export_sent_total", "edgewatch_export_dropped_total", "edgewatch_export_queued"])
      assert.notEqual(scrape(text, m, { type: type.type }), null, `${m} for ${type.type}`);
    const health = (await get(`${a.url}/health/deep`)).json<{
      checks: Record<string, { ok: boolean; detail?: string }>;
    }>();
    assert.equal(health.checks.exports?.ok, true, "an unreachable receiver is not the agent failing");
    assert.match(
      health.checks.exports?.detail ?? "",
      new RegExp(`failing: ${type.type}`),
      "but it is named in /health/deep",
    );
    const started = Date.now();
    await a.stop();
    assert.ok(Date.now() - started < 10_000, "stop does not hang on a dead receiver");
  });
}

test("the example config in docs/exports.md is valid, with every export in it", () => {
  const doc = readFileSync(new URL("../../../docs/exports.md", import.meta.url), "utf8");
  const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(yaml, "docs/exports.md has a yaml example");
  const c = parseConfigText(yaml, "docs/exports.md", { GRAFANA_CLOUD_TOKEN: "glc_x", MQTT_PASSWORD: "pw" });
  const ex = c.exports as Record<string, unknown>;
  for (const t of exportTypes)
    assert.ok(
      ex[t.type] && (!Array.isArray(ex[t.type]) || (ex[t.type] as unknown[]).length > 0),
      `${t.type} in the example`,
    );
});

test("an export that cannot start costs only itself: /health/deep names it, the others deliver", {
  timeout: 60_000,
}, async (t) => {
  const { mkdirSync, writeFileSync } = await import("node:fs");
  const { receiver } = await import("./helpers.ts");
  const dir = workDir(t);
  mkdirSync(join(dir, "state", "exports"), { recursive: true });
  writeFileSync(join(dir, "state", "exports", "loki"), "not a folder");
  const rx = await receiver(t);
  const a = await agentOn(t, dir, {
    exports: { remote_write: [{ url: `${rx.url}/api/v1/write`, interval: "1s" }], loki: { url: rx.url } },
  });
  await until("remote_write to deliver", () => rx.got.some((r) => r.url === "/api/v1/write"), 20_000);
  const h = await get(`${a.url}/health/deep`);
  assert.equal(h.status, 503);
  assert.match(
    h.json<{ checks: Record<string, { detail: string }> }>().checks.exports?.detail ?? "",
    /failed to start: loki/,
  );
});
