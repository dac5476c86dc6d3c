import assert from "node:assert/strict";
import { test } from "node:test";
import { startTestAgent } from "../core/helpers.ts";

test("GET /api/recovery: grace_until is never before the agent started (a grace that ended at boot is over at start)", async (t) => {
  for (const startup_grace of [0, 120]) {
    const a = await startTestAgent(t, { recovery: { startup_grace, sd_notify: false } } as never);
    const rec = (await (await fetch(`${a.url}/api/recovery`)).json()) as { grace_until: string };
    const status = (await (await fetch(`${a.url}/status`)).json()) as { agent: { started_at: string } };
    assert.ok(
      Date.parse(rec.grace_until) >= Date.parse(status.agent.started_at),
      `startup_grace ${startup_grace}: grace_until ${rec.grace_until} before started_at ${status.agent.started_at}`,
    );
  }
});

test("GET /api/jobs errors have the API's shared error shape", async (t) => {
  const a = await startTestAgent(t);
  const jobs = await fetch(`${a.url}/api/jobs?limit=0`);
  const recovery = await fetch(`${a.url}/api/recovery?lines=0`);
  assert.equal(jobs.status, 400);
  assert.equal(recovery.status, 400);
  const jb = (await jobs.json()) as Record<string, unknown>;
  const rb = (await recovery.json()) as Record<string, unknown>;
  assert.deepEqual(jb, { error: 'limit: expected a whole number from 1 to 1000, got "0"', status: 400 });
  assert.deepEqual(Object.keys(jb).sort(), Object.keys(rb).sort());
  for (const h of ["content-type", "cache-control", "x-content-type-options"])
    assert.equal(jobs.headers.get(h), recovery.headers.get(h), h);
});
