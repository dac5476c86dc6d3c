import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { build } from "esbuild";

/** The agent's bundle, split as scripts/build.mjs splits it (dynamic imports get their own chunk). */
async function agentBundle() {
  const result = await build({
    entryPoints: { edgewatch: "src/cli/main.ts" },
    bundle: true,
    platform: "node",
    format: "esm",
    splitting: true,
    outdir: "out",
    chunkNames: "chunks/[name]-[hash]",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const outputs = result.metafile.outputs;
  const entry = Object.keys(outputs).find((o) => outputs[o]?.entryPoint === "src/cli/main.ts") as string;
  return { result, outputs, entry };
}

test("nodemailer costs the agent nothing unless an email channel is configured: it sits in its own chunk", async (t) => {
  const { outputs, entry } = await agentBundle();
  const inEntry = Object.keys(outputs[entry]?.inputs ?? {});
  assert.ok(
    inEntry.some((i) => i.endsWith("src/agent/agent.ts")),
    "the entry holds the agent",
  );
  assert.deepEqual(
    inEntry.filter((i) => i.includes("node_modules/nodemailer/")),
    [],
    "nodemailer is not in the file every start reads",
  );
  // And the real build (npm test builds first): the bundle only names the chunk it would load.
  if (!existsSync("dist/edgewatch.mjs")) {
    if (process.env.CI === "true") throw new Error("CI=true and dist/ is missing: run npm run build first");
    t.diagnostic("dist/ not built: checked the in-memory bundle only");
    return;
  }
  const dist = readFileSync("dist/edgewatch.mjs", "utf8");
  const chunk = /chunks\/nodemailer-[A-Z0-9]+\.mjs/.exec(dist)?.[0];
  assert.ok(chunk && existsSync(`dist/${chunk}`), "dist/edgewatch.mjs loads nodemailer from dist/chunks/");
  assert.doesNotMatch(dist, /smtp-connection/, "nodemailer's SMTP code is not in dist/edgewatch.mjs");
  assert.match(readFileSync(`dist/${chunk}`, "utf8"), /smtp-connection/, "it is in the chunk");
});

test("every runtime dependency in package.json is used by the agent's bundle (no dead weight to install)", async () => {
  const { result } = await agentBundle();
  const used = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m?.[1]) used.add(m[1]);
  }
  const deps = Object.keys((JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: object }).dependencies);
  assert.deepEqual(
    deps.filter((d) => !used.has(d)),
    [],
    "runtime dependencies nothing bundles (move them to devDependencies or drop them)",
  );
});
