// Property-based test against the real agent process: whatever fragment or event files a buggy or
// hostile program writes, the agent never crashes, keeps serving and keeps reading the next good
// fragment and event. Bounded: 150 runs against one agent, fixed seed.
import assert from "node:assert/strict";
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { writeFileAtomicSync } from "../../../src/protocol/atomic.ts";
import { startAgentProcess, waitFor } from "./agent-process.ts";

const nested = fc
  .record({ depth: fc.integer({ min: 1, max: 50_000 }), objects: fc.boolean() })
  .map(({ depth, objects }) =>
    objects ? `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}` : `${"[".repeat(depth)}${"]".repeat(depth)}`,
  );

/** Fragment or event bodies: any JSON, deep, wide, reserved keys, bytes that are not JSON at all. */
const body = fc.oneof(
  fc.json(),
  nested.map((x) => `{"status":"idle","level":"error","source":"cam","message":"m","fields":{"x":${x}}}`),
  fc.integer({ min: 1, max: 20_000 }).map((n) => JSON.stringify({ wide: Array.from({ length: n }, (_, i) => i) })),
  fc
    .constantFrom("__proto__", "constructor", "prototype")
    .map((k) => `{"level":"error","source":"cam","message":"m","fields":{"${k}":{"status":"error"}},"${k}":1}`),
  fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a).toString("latin1")),
);

test("fuzz against the agent process: hostile fragments and events never crash it or stop it reading", async (t) => {
  const a = await startAgentProcess(t);
  const frag = join(a.statusDir, "status.d");
  const evDir = (d: string) => join(a.statusDir, "events", d);
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,15}$/), body, body, async (source, fragText, evText) => {
      n++;
      writeFileAtomicSync(join(frag, `${source}.json`), fragText);
      const name = `${String(n).padStart(13, "0")}-1-000001-aaaaaa.json`;
      writeFileSync(join(evDir("tmp"), name), evText, "latin1");
      renameSync(join(evDir("tmp"), name), join(evDir("new"), name));
      writeFileAtomicSync(join(frag, "zzprobe.json"), JSON.stringify({ probe: n }));
      const probe = `${String(n).padStart(13, "0")}-1-000002-bbbbbb.json`;
      writeFileSync(
        join(evDir("tmp"), probe),
        JSON.stringify({ level: "error", source: "probe", message: `probe ${n}` }),
      );
      renameSync(join(evDir("tmp"), probe), join(evDir("new"), probe));
      await waitFor(`probe ${n} read`, async () => {
        const r = await a.json<{ probe?: number; errors?: { message: string }[] }>("/status");
        assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
        return r.body.probe === n && r.body.errors?.some((e) => e.message === `probe ${n}`);
      });
      assert.equal(a.child.exitCode, null, a.log().slice(-2000));
    }),
    { numRuns: 150, seed: 0x5eed },
  );
  for (const path of ["/health", "/metrics", "/api/health"]) {
    const r = await fetch(`${a.url}${path}`);
    assert.ok(r.status < 500, `${path}: ${r.status}`);
    await r.arrayBuffer();
  }
  assert.doesNotMatch(a.log(), /uncaught exception|unhandled promise rejection/);
  t.diagnostic(`${n} runs, ${a.warnings().length} reader warnings`);
  assert.equal(await a.stop(), 0, a.log().slice(-2000));
});
