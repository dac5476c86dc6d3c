// Validation at the boundary: request targets, Range on empty files, control bodies that store something.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { startAgent } from "../../../src/agent/agent.ts";
import { validateConfig } from "../../../src/agent/config.ts";
import type { Logger } from "../../../src/agent/module.ts";
import { tempDir } from "../../helpers/tools.ts";
import { get, startTestAgent } from "./helpers.ts";

/** One raw request; the status line and body of the answer. */
function raw(url: string, head: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), "127.0.0.1");
    const chunks: Buffer[] = [];
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    s.on("error", reject);
    s.end(head);
  });
}

test("a request target not in origin form is refused, never routed to the path inside it", async (t) => {
  const a = await startTestAgent(t);
  const cases: [string, RegExp][] = [
    ["GET http://x/status HTTP/1.1", /^HTTP\/1\.1 400 /],
    ["GET http://agent.invalid/config HTTP/1.1", /^HTTP\/1\.1 400 /],
    ["OPTIONS * HTTP/1.1", /^HTTP\/1\.1 400 /],
    ["GET //evil/status HTTP/1.1", /^HTTP\/1\.1 400 /],
    ["GET /\\evil/status HTTP/1.1", /^HTTP\/1\.1 400 /],
    ["GET /api/../status HTTP/1.1", /^HTTP\/1\.1 404 /],
    ["GET /latest/%2e%2e/status HTTP/1.1", /^HTTP\/1\.1 404 /],
    ["GET /./health HTTP/1.1", /^HTTP\/1\.1 404 /],
  ];
  for (const [line, want] of cases) {
    const answer = await raw(a.url, `${line}\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.match(answer, want, `${line} → ${answer.slice(0, 200)}`);
    assert.doesNotMatch(answer, /"device"|"status":"ok"|"config"/, `${line} must not be answered by another route`);
  }
  // origin form still works, with a query
  assert.equal((await get(`${a.url}/health?x=1`)).status, 200);
});

test("Range on an empty file: 200 with the empty body or 416 bytes */0, never an invalid Content-Range", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "pics"));
  writeFileSync(join(dir, "pics", "empty.jpg"), "");
  const a = await startTestAgent(t, { files: { photos: [join(dir, "pics", "*.jpg")] } });
  for (const range of ["bytes=-5", "bytes=-1", "bytes=0-", "bytes=0-0", "bytes=3-9", "bytes=-0"]) {
    const r = await get(`${a.url}/latest/photo`, { Range: range });
    assert.ok(r.status === 200 || r.status === 416, `${range}: ${r.status}`);
    const cr = r.headers["content-range"];
    if (r.status === 200) {
      assert.equal(cr, undefined, `${range}: a 200 has no Content-Range`);
      assert.equal(r.body, "");
    } else assert.equal(cr, "bytes */0", `${range}: ${String(cr)}`);
    if (cr !== undefined) assert.match(String(cr), /^bytes (\d+-\d+|\*)\/\d+$/, `${range}: ${String(cr)}`);
  }
});

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

test("an out-of-range silence is refused with 400 and never persisted; a bad one on disk does not break /api/alerts", async (t) => {
  const dir = tempDir(t);
  const stateDir = join(dir, "state");
  const token = "0123456789abcdef0123";
  const config = validateConfig(
    { status_dir: join(dir, "status"), state_dir: stateDir, http: { bind: "127.0.0.1", port: 0, token } },
    "test",
    {},
  );
  const warnings: string[] = [];
  const log: Logger = { ...quiet, warn: (m) => warnings.push(m) };
  let agent = await startAgent(config, { log, port: 0, host: "127.0.0.1" });
  t.after(() => agent.stop());
  const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const bad: [unknown, RegExp][] = [
    [{ duration: "99999999999d" }, /duration: expected at most 366d/],
    [{ duration: 1e300 }, /duration: expected at most 366d/],
    [{ duration: "367d" }, /duration: expected at most 366d/],
    [{ until: "+275760-09-13T00:00:00.000Z" }, /until: expected a time at most 366 days ahead/],
    [{ until: "9999-01-01T00:00:00Z" }, /until: expected a time at most 366 days ahead/],
    [{ duration: "0s" }, /duration: expected a duration/],
  ];
  for (const [body, msg] of bad) {
    const r = await get(`${agent.url}/api/alerts/silence`, auth, "POST", JSON.stringify(body));
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.body}`);
    assert.match(r.json<{ error: string }>().error, msg);
  }
  const good = await get(`${agent.url}/api/alerts/silence`, auth, "POST", JSON.stringify({ duration: "366d" }));
  assert.equal(good.status, 201, good.body);
  const alerts = await get(`${agent.url}/api/alerts`);
  assert.equal(alerts.status, 200, alerts.body);
  const api = (r: { json<T>(): T }) =>
    r.json<{ silences: { origin: string; ends_at: unknown }[] }>().silences.filter((s) => s.origin === "api");
  assert.equal(api(alerts).length, 1, "only the valid silence was stored");

  // A state file holding silences no Date can show (as an earlier version could write): dropped with a
  // warning at start, the valid one kept, and the route keeps answering across restarts.
  await agent.stop();
  const file = join(stateDir, "alerts", "state.json");
  const { readFileSync } = await import("node:fs");
  const saved = JSON.parse(readFileSync(file, "utf8")) as { silences: object[]; instances: object[] };
  saved.instances.push({
    id: "cpu",
    rule: "cpu",
    key: "",
    severity: "warning",
    level: "warning",
    summary: "CPU high",
    state: "firing",
    pendingSince: 8.64e22,
    notified: null,
    repeats: 0,
  });
  saved.silences.push(
    { id: "huge", origin: "api", starts_at: Date.now(), ends_at: 8.64e22 },
    { id: "nan", origin: "api", ends_at: "tomorrow" },
    { id: "rules", origin: "api", rules: "cpu", ends_at: Date.now() + 1000 },
  );
  writeFileSync(file, JSON.stringify(saved));
  for (let i = 0; i < 2; i++) {
    agent = await startAgent(config, { log, port: 0, host: "127.0.0.1" });
    const r = await get(`${agent.url}/api/alerts`);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(
      api(r).map((s) => typeof s.ends_at),
      ["string"],
    );
    await agent.stop();
  }
  assert.ok(
    warnings.some((w) => /silence 1 is not valid/.test(w)),
    warnings.join("\n"),
  );
  assert.ok(
    warnings.some((w) => /alert "cpu" is not valid; dropped/.test(w)),
    warnings.join("\n"),
  );
});
