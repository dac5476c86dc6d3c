import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { configJsonSchema, configMarkdown } from "../../src/agent/config.ts";
import { hubConfigMarkdown } from "../../src/hub/config.ts";

// The JSON Schema (for editors) and docs/config.md are generated from the one zod schema.
// When a section changes, run `npm run schema` and commit the result; until then CI fails here.
test("schema/config.schema.json is up to date with src/agent/config.ts", () => {
  assert.equal(
    readFileSync("schema/config.schema.json", "utf8"),
    configJsonSchema(),
    "schema/config.schema.json is stale: run `npm run schema`",
  );
});

test("docs/config.md is up to date with src/agent/config.ts and the hub's schema", () => {
  // ok(a === b), not equal(a, b): a diff of two long documents takes minutes; the message says what to do.
  const expected = configMarkdown() + hubConfigMarkdown();
  assert.ok(readFileSync("docs/config.md", "utf8") === expected, "docs/config.md is stale: run `npm run schema`");
});

test("every key in the config schema has a description (the docs are made of them)", () => {
  const missing: string[] = [];
  const walk = (s: { properties?: Record<string, unknown>; description?: string }, path: string) => {
    for (const [k, v] of Object.entries(s.properties ?? {})) {
      const child = v as { properties?: Record<string, unknown>; description?: string; items?: unknown };
      if (!child.description) missing.push(`${path}${k}`);
      walk(child, `${path}${k}.`);
    }
  };
  walk(JSON.parse(configJsonSchema()), "");
  assert.deepEqual(missing, [], `keys without .describe(): ${missing.join(", ")}`);
});
