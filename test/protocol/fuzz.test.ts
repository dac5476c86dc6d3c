// Property-based tests over what programs may write to the status directory: any shape, depth,
// size and name of fragment or event. The reader never throws, never stops reading, and the
// document it keeps can always be rendered. Bounded: a few hundred runs, seeded by fast-check.
import assert from "node:assert/strict";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { writeFileAtomicSync } from "../../src/protocol/atomic.ts";
import type { DeviceEvent } from "../../src/protocol/events.ts";
import { deepMerge, type JsonObject, jsonShapeProblem, jsonTextShapeProblem, toJson } from "../../src/protocol/json.ts";
import { MergedDocument, type SourceFragment } from "../../src/protocol/merge.ts";
import { AGENT_OWNED_KEYS } from "../../src/protocol/names.ts";
import { StatusReader } from "../../src/protocol/reader.ts";
import { tempDir, waitFor } from "../helpers/tools.ts";

const RESERVED = ["__proto__", "constructor", "prototype"];

/** JSON text of a value nested `depth` deep, lists or objects, optionally with a reserved key inside. */
const deepText = fc
  .record({
    depth: fc.integer({ min: 1, max: 3000 }),
    objects: fc.boolean(),
    reserved: fc.option(fc.constantFrom(...RESERVED)),
  })
  .map(({ depth, objects, reserved }) => {
    const inner = reserved ? `{"${reserved}":1}` : "1";
    const body = objects
      ? `${'{"a":'.repeat(depth)}${inner}${"}".repeat(depth)}`
      : `${"[".repeat(depth)}${inner}${"]".repeat(depth)}`;
    return `{"status":"idle","x":${body}}`;
  });

const wideText = fc
  .record({ n: fc.integer({ min: 1, max: 15_000 }), list: fc.boolean() })
  .map(({ n, list }) =>
    list
      ? `{"x":[${Array.from({ length: n }, (_, i) => i).join(",")}]}`
      : `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(",")}}`,
  );

/** Anything a buggy or hostile writer might leave in a fragment or event file. */
const hostileBytes = fc.oneof(
  fc.json({ depthSize: "large" }).map((s) => Buffer.from(s)),
  fc
    .jsonValue()
    .map((v) => Buffer.from(JSON.stringify({ level: "error", source: "cam", message: "m", fields: { v } }))),
  deepText.map((s) => Buffer.from(s)),
  wideText.map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
  fc.string({ unit: "binary", maxLength: 512 }).map((s) => Buffer.from(s)),
);

/** File names: valid sources, invalid ones, dot files, odd unicode (never "/" or NUL). */
const fileName = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/).map((s) => `${s}.json`),
  fc
    .string({ minLength: 1, maxLength: 60 })
    .filter((s) => !/[/\0]/.test(s) && s !== "." && s !== ".." && s !== "probe.json"),
);

test("fuzz: hostile fragments and events never crash the reader or stop it reading", async (t) => {
  const dir = tempDir(t);
  const warnings: string[] = [];
  const events: DeviceEvent[] = [];
  const reader = new StatusReader({
    dir,
    onEvent: (ev) => {
      events.push(ev);
    },
    onWarning: (w) => warnings.push(`${w.source}: ${w.reason}`),
  });
  await reader.start();
  t.after(() => reader.stop());
  const frag = join(dir, "status.d");
  const evNew = join(dir, "events", "new");
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fileName, hostileBytes, hostileBytes, async (name, fragBytes, evBytes) => {
      n++;
      const path = join(frag, name);
      mkdirSync(frag, { recursive: true });
      writeFileSync(join(frag, ".tmp"), fragBytes);
      renameSync(join(frag, ".tmp"), path);
      // an event file with the same hostile bytes, named to sort before the good one that follows
      const evName = `${String(n).padStart(13, "0")}-1-000001-aaaaaa.json`;
      writeFileSync(join(dir, "events", "tmp", evName), evBytes);
      renameSync(join(dir, "events", "tmp", evName), join(evNew, evName));
      writeFileAtomicSync(join(frag, "probe.json"), JSON.stringify({ probe: n }));
      writeFileAtomicSync(
        join(dir, "events", "tmp", "x"),
        JSON.stringify({ level: "info", source: "probe", message: `probe ${n}` }),
      );
      renameSync(join(dir, "events", "tmp", "x"), join(evNew, `${String(n).padStart(13, "0")}-1-000002-bbbbbb.json`));
      // still reading: the probe fragment and the probe event behind the hostile ones arrive
      await waitFor(`probe ${n}`, () => (reader.document().probe as number) === n, 30_000);
      await waitFor(`probe event ${n}`, () => events.some((e) => e.message === `probe ${n}`), 30_000);
      // whatever was kept can be rendered and has an acceptable shape
      const doc = reader.document();
      assert.doesNotThrow(() => JSON.stringify(doc));
      assert.equal(jsonShapeProblem(doc, { depth: 64, entries: 20_000 }), null);
      for (const e of events) assert.doesNotThrow(() => JSON.stringify(e));
    }),
    { numRuns: 150, seed: 0x5eed },
  );
  t.diagnostic(`${n} runs, ${warnings.length} warnings, ${events.length} events handed on`);
});

test("fuzz: the text check and the value check agree on depth and breadth", () => {
  fc.assert(
    fc.property(
      fc.jsonValue({ maxDepth: 40 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 8 }),
      (v, depth, entries) => {
        const limits = { depth, entries };
        const fromText = jsonTextShapeProblem(JSON.stringify(v), limits) === null;
        const fromValue = jsonShapeProblem(v, limits);
        // the value check also refuses reserved keys, which the text check leaves to it
        if (fromValue === null || !/reserved/.test(fromValue))
          assert.equal(fromText, fromValue === null, JSON.stringify(v));
      },
    ),
    { numRuns: 300, seed: 0x5eed },
  );
});

/** The reference: every fragment merged from scratch, oldest first (the algorithm before incremental merging). */
function fullMerge(frags: SourceFragment[]): JsonObject {
  const sorted = [...frags].sort((a, b) => a.updatedAtMs - b.updatedAtMs || (a.source < b.source ? -1 : 1));
  let doc: JsonObject = {};
  for (const f of sorted) {
    const clean: JsonObject = { ...f.data };
    for (const k of AGENT_OWNED_KEYS) delete clean[k];
    delete clean.updated_at;
    doc = deepMerge(doc, clean);
  }
  return doc;
}

test("fuzz: the incremental merge always equals a merge from scratch", () => {
  const value = fc.oneof(
    fc.constantFrom(1, "x", null, true),
    fc.dictionary(
      fc.constantFrom("p", "q", "r"),
      fc.oneof(fc.integer(), fc.dictionary(fc.constantFrom("s", "t"), fc.integer())),
    ),
  );
  const op = fc.record({
    source: fc.constantFrom("a", "b", "c", "d", "e"),
    del: fc.boolean(),
    at: fc.integer({ min: 1, max: 5 }),
    data: fc.dictionary(fc.constantFrom("status", "today", "k1", "k2", "errors"), value),
  });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const m = new MergedDocument();
      const live = new Map<string, SourceFragment>();
      for (const o of ops) {
        if (o.del) {
          m.delete(o.source);
          live.delete(o.source);
        } else {
          // as JSON.parse makes it (plain prototypes)
          const data = JSON.parse(JSON.stringify(o.data)) as JsonObject;
          const f = { source: o.source, data, updatedAtMs: o.at * 1000, mtimeMs: o.at * 1000 };
          m.set(f);
          live.set(o.source, f);
        }
        const { sources, updated_at, ...got } = m.document();
        assert.deepEqual(got, fullMerge([...live.values()]));
        assert.deepEqual(Object.keys(sources as object).sort(), [...live.keys()].sort());
        const newest = Math.max(0, ...[...live.values()].map((f) => f.updatedAtMs));
        assert.equal(updated_at, newest > 0 ? new Date(newest).toISOString() : undefined);
        assert.doesNotThrow(() => toJson(m.document()));
      }
    }),
    { numRuns: 300, seed: 0x5eed },
  );
});
