import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../helpers/tools.ts";

// scripts/build.mjs leaves zod's message locales other than English out of the bundle (~260 KiB of
// JavaScript every start would parse): the agent's messages are its own, or zod's English ones.
test("the build carries zod's English messages only, and config errors still read in English", (t) => {
  if (!existsSync("dist/edgewatch.mjs")) {
    if (process.env.CI === "true") throw new Error("CI=true and dist/ is missing: run npm run build first");
    t.diagnostic("dist/ not built: nothing to check");
    return;
  }
  const files = ["dist/edgewatch.mjs", ...readdirSync("dist/chunks").map((c) => join("dist/chunks", c))].filter((f) =>
    f.endsWith(".mjs"),
  );
  const all = files.map((f) => readFileSync(f, "utf8")).join("\n");
  // A phrase from zod's German, French and Spanish locales.
  for (const phrase of ["Eingabe", "Entrée invalide", "Entrada inválida"])
    assert.ok(!all.includes(phrase), `no other locale in the bundle (found ${JSON.stringify(phrase)})`);
  const dir = tempDir(t, "ew-locale-");
  const cfg = join(dir, "bad.yaml");
  // A message zod writes itself (an invalid email in a channel), and one edgewatch writes.
  writeFileSync(cfg, "http: {port: x}\nnotify:\n  channels:\n    - {type: email, to: [nobody], host: h}\n");
  let out = "";
  try {
    execFileSync(process.execPath, ["dist/edgewatch.mjs", "config", "check", cfg], { encoding: "utf8" });
  } catch (err) {
    out = (err as { stdout: string }).stdout;
  }
  assert.match(out, /http\.port: expected a number, got "x"/);
  assert.match(out, /notify\.channels\[0\]/);
  assert.doesNotMatch(out, /undefined|\[object Object\]/, out);
});
