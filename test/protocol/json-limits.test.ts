import assert from "node:assert/strict";
import { test } from "node:test";
import { parseEvent } from "../../src/protocol/events.ts";
import { parseFragment, writeFragment } from "../../src/protocol/fragment.ts";
import {
  capDepth,
  deepMerge,
  jsonShapeProblem,
  jsonTextShapeProblem,
  MAX_JSON_DEPTH,
  MAX_JSON_ENTRIES,
  toJson,
} from "../../src/protocol/json.ts";
import { tempDir } from "../helpers/tools.ts";

const nested = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};

test("depth limit: 32 levels are accepted, 33 refused, by the text check and the value check alike", () => {
  const ok = nested(MAX_JSON_DEPTH);
  const deep = nested(MAX_JSON_DEPTH + 1);
  assert.equal(jsonShapeProblem(ok), null);
  assert.equal(jsonTextShapeProblem(JSON.stringify(ok)), null);
  assert.match(jsonShapeProblem(deep) ?? "", /expected at most 32 levels of nesting, got more at "a\.a\.a/);
  assert.match(jsonTextShapeProblem(JSON.stringify(deep)) ?? "", /expected at most 32 levels of nesting/);
  // brackets inside strings are not nesting
  assert.equal(jsonTextShapeProblem(JSON.stringify({ s: "[".repeat(1000), t: '\\"{{{' })), null);
});

test("breadth limit: 10,000 entries in one object or list are accepted, 10,001 refused", () => {
  const list = Array.from({ length: MAX_JSON_ENTRIES }, (_, i) => i);
  assert.equal(jsonShapeProblem({ list }), null);
  assert.equal(jsonTextShapeProblem(JSON.stringify({ list })), null);
  list.push(1);
  assert.match(
    jsonShapeProblem({ list }) ?? "",
    /expected at most 10000 entries in one object or list, got 10001 at "list"/,
  );
  assert.match(jsonTextShapeProblem(JSON.stringify({ list })) ?? "", /expected at most 10000 entries/);
  const obj = Object.fromEntries(list.map((_, i) => [`k${i}`, i]));
  assert.match(jsonShapeProblem(obj) ?? "", /got 10001 at the top level/);
});

test("reserved keys are refused at any depth; writers refuse them too", async (t) => {
  for (const k of ["__proto__", "constructor", "prototype"]) {
    const text = `{"a":{"b":{"${k}":{"x":1}}}}`;
    assert.match(jsonShapeProblem(JSON.parse(text)) ?? "", new RegExp(`key "${k}" at "a\\.b" is reserved`));
    assert.throws(() => parseFragment(Buffer.from(text), 0), { code: "EW_FRAGMENT_INVALID" });
    const ev = `{"level":"error","source":"cam","message":"m","fields":{"${k}":1}}`;
    assert.throws(() => parseEvent(Buffer.from(ev), 0), { code: "EW_EVENT_INVALID" });
  }
  const dir = tempDir(t);
  await assert.rejects(writeFragment("cam", JSON.parse('{"__proto__":{"status":"error"}}'), { dir }), /is reserved/);
});

test("a value nested 100,000 deep is refused before it is parsed, with the fragment's and the event's codes", () => {
  const text = `{"deep":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
  assert.throws(() => parseFragment(Buffer.from(text), 0), {
    code: "EW_FRAGMENT_INVALID",
    message: /levels of nesting/,
  });
  const ev = `{"level":"error","source":"cam","message":"m","fields":{"x":${"[".repeat(20_000)}${"]".repeat(20_000)}}}`;
  assert.throws(() => parseEvent(Buffer.from(ev), 0), { code: "EW_EVENT_INVALID", message: /levels of nesting/ });
});

test("consumers are safe even when something deep gets through: deepMerge, toJson, capDepth", () => {
  const deep = JSON.parse(`${'{"a":'.repeat(200_000)}1${"}".repeat(200_000)}`);
  assert.throws(() => JSON.stringify(deep), RangeError, "the V8 serialiser overflows (why toJson exists)");
  const text = toJson({ deep });
  assert.match(text, /^\{"deep":\{"a":\{"a":/);
  assert.match(text, /"\[nested too deep\]"/);
  const merged = deepMerge({ deep }, { deep }); // both sides deep: merging stops at a bounded depth
  assert.ok(merged.deep);
  assert.equal(toJson(capDepth({ a: [1, { b: 2 }] }, 2)), '{"a":[1,"[nested too deep]"]}');
  // deepMerge never writes a prototype
  const out = deepMerge({ x: { keep: 1 } }, JSON.parse('{"__proto__":{"polluted":1},"x":{"__proto__":{"p":1}}}'));
  assert.equal((out as { polluted?: number }).polluted, undefined);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal((out.x as { p?: number }).p, undefined);
  assert.equal(Object.getPrototypeOf(out.x), Object.prototype);
});
