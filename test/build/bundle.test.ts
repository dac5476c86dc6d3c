import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { build } from "esbuild";
import { tempDir } from "../helpers/tools.ts";

test("the library entry point works by package name: import { updateStatus, ... } from 'edgewatch'", (t) => {
  const dir = tempDir(t);
  const code = `
    import { updateStatus, emitEvent, heartbeat, readDeviceStatus } from "edgewatch";
    await updateStatus("probe", { status: "idle", n: 1 }, { dir: ${JSON.stringify(dir)} });
    await heartbeat("probe", { dir: ${JSON.stringify(dir)} });
    await emitEvent("probe", { level: "info", message: "hi" }, { dir: ${JSON.stringify(dir)} });
    const doc = await readDeviceStatus({ dir: ${JSON.stringify(dir)} });
    console.log(JSON.stringify({ n: doc.n, status: doc.status }));`;
  const res = spawnSync(process.execPath, ["--input-type=module", "-e", code], {
    encoding: "utf8",
    cwd: process.cwd(),
  });
  assert.equal(res.status, 0, res.stderr);
  assert.deepEqual(JSON.parse(res.stdout), { n: 1, status: "idle" });
});

function nativeMarkers(pkgDir: string): string[] {
  const found: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 4) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== "node_modules") walk(p, depth + 1);
      } else if (e.name === "binding.gyp" || e.name.endsWith(".node")) found.push(p);
    }
  };
  walk(pkgDir, 0);
  return found;
}

test("the agent's bundle has no native dependency (a Pi must not compile anything)", async () => {
  const result = await build({
    entryPoints: ["src/cli/main.ts"],
    bundle: true,
    platform: "node",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const packages = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m?.[1]) packages.add(m[1]);
  }
  assert.ok(packages.has("zod") && packages.has("yaml"), "the metafile lists the bundled packages");
  for (const pkg of packages) {
    const dir = join("node_modules", pkg);
    assert.ok(existsSync(dir), pkg);
    assert.deepEqual(nativeMarkers(dir), [], `${pkg} is bundled into the agent and ships native code`);
  }
  const text = result.outputFiles[0]?.text ?? "";
  assert.doesNotMatch(text, /require\([^)]*\.node["']\)/, "no require() of a .node addon");
  // The hub's stores load their drivers only when the hub runs: neither is bundled.
  assert.ok(
    !packages.has("better-sqlite3") && !packages.has("bindings"),
    "better-sqlite3 is not in the agent's bundle",
  );
  assert.ok(!packages.has("postgres"), "postgres is not in the agent's bundle");
});

test("the library entry point stays light: no config schema, validator or YAML parser inside", async () => {
  const result = await build({
    entryPoints: ["src/index.ts"],
    bundle: true,
    platform: "node",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(
    inputs.some((i) => i.endsWith("src/protocol/fragment.ts")),
    "the metafile lists the library's sources",
  );
  const heavy = inputs.filter((i) => /node_modules\/(zod|yaml|nodemailer|ioredis)\/|src\/(config|agent)\//.test(i));
  assert.deepEqual(heavy, [], "a program that only writes status must not load these");
});
