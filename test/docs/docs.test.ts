import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { commands } from "../../src/cli/commands.ts";

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

test("every HTTP route the agent's modules and the hub declare is documented in docs/api.md or docs/hub-api.md", () => {
  // The hub's routes are documented in docs/hub-api.md.
  const api = ["docs/api.md", "docs/hub-api.md"].map((f) => readFileSync(f, "utf8")).join("\n");
  const paths = new Set<string>();
  for (const f of sources("src")) {
    for (const m of readFileSync(f, "utf8").matchAll(/\bpath: "(\/[^"]*)"/g)) paths.add(m[1] as string);
  }
  assert.ok(paths.size > 20, `found the routes (${paths.size})`);
  const missing = [...paths].filter((p) => p !== "/" && !new RegExp(`(^|[\\s\`(])${p}([\`?\\s,)]|$)`, "m").test(api));
  assert.deepEqual(missing, [], "routes missing from docs/api.md");
});

test("every CLI command is named in the README or the docs", () => {
  const text = ["README.md", "docs/protocol.md", "docs/operations.md", "docs/api.md"]
    .map((f) => readFileSync(f, "utf8"))
    .join("\n");
  const missing = commands.map((c) => c.name).filter((n) => !text.includes(`edgewatch ${n}`));
  assert.deepEqual(missing, [], "commands never mentioned in the docs");
});
