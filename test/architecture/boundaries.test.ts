import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { violations } from "./boundaries.ts";

const HERE = import.meta.dirname;
const DEBT = join(HERE, "known-debt.txt");

test("the boundaries check catches a cycle, a shared family importing a program, and a reach into internals (fixture tree)", () => {
  assert.deepEqual(violations(join(HERE, "fixtures", "tangled", "src")), [
    "file cycle: lib/a.ts ↔ lib/b.ts",
    "folder cycle: config ↔ lib",
    "import against the layers: lib/c.ts → config/ok.ts",
    "reaches into another module's internals: agent/collectors/cpu.ts → agent/recovery/probe.ts",
    "reaches into another module's internals: config/schema.ts → agent/recovery/probe.ts",
    "shared imports a program: config/schema.ts → agent/recovery/probe.ts",
  ]);
});

/**
 * src/ as it is: no broken rule beyond the ones listed in known-debt.txt (what is left to untangle).
 * A new cycle, a new import against the layers or into another module's internals fails here;
 * a fixed one must be struck from the list, so it can only shrink.
 * EDGEWATCH_UPDATE_DEBT=1 rewrites the list (review the diff: it should only lose lines).
 */
test("src/ breaks no import rule beyond the known debt, and the debt list holds nothing already fixed", () => {
  const found = violations(join(HERE, "..", "..", "src"));
  if (process.env.EDGEWATCH_UPDATE_DEBT === "1") writeFileSync(DEBT, `${found.join("\n")}\n`);
  const known = readFileSync(DEBT, "utf8").split("\n").filter(Boolean);
  assert.deepEqual(
    found.filter((v) => !known.includes(v)),
    [],
    "new import-rule violations (see docs/architecture.md)",
  );
  assert.deepEqual(
    known.filter((v) => !found.includes(v)),
    [],
    "fixed: strike these from test/architecture/known-debt.txt",
  );
});
