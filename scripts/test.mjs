#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's own test runner (tsx compiles TypeScript on load).
// `node scripts/test.mjs test/protocol` runs one folder or file.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      if (name === "fixtures" || name === "node_modules") continue;
      collect(join(path, name), out);
    }
  } else if (path.endsWith(".test.ts")) {
    out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ["test"]).flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error("no test files found under", roots.join(" ") || "test");
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  // --test-force-exit: a file whose tests finished but left a handle open (a child process, a socket)
  // must not hold the whole run; --test-timeout turns a hung test into a failure that names it.
  [
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=3",
    "--test-force-exit",
    "--test-timeout=600000",
    "--test-reporter=spec",
    ...files,
  ],
  { stdio: "inherit" },
);
process.exit(res.status ?? 1);
