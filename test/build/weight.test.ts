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

/** `start` and every file it reaches through `next`, each once. */
function staticClosure(start: string, next: (file: string) => string[]): string[] {
  const seen = new Set<string>([start]);
  for (const f of seen) for (const n of next(f)) seen.add(n);
  return [...seen];
}

test("nodemailer costs the agent nothing unless an email channel is configured: it sits in its own chunk", async (t) => {
  const { outputs, entry } = await agentBundle();
  // What every start reads: the entry and the chunks it imports statically (code the entry shares
  // with a lazily loaded part, like the hub, sits in such a chunk).
  const startFiles = staticClosure(entry, (o) =>
    (outputs[o]?.imports ?? []).filter((i) => i.kind === "import-statement").map((i) => i.path),
  );
  const atStart = startFiles.flatMap((o) => Object.keys(outputs[o]?.inputs ?? {}));
  assert.ok(
    atStart.some((i) => i.endsWith("src/agent/agent.ts")),
    "the entry holds the agent",
  );
  assert.deepEqual(
    atStart.filter((i) => i.includes("node_modules/nodemailer/")),
    [],
    "nodemailer is not in the files every start reads",
  );
  // And the real build (npm test builds first): the bundle only names the chunk it would load.
  if (!existsSync("dist/edgewatch.mjs")) {
    if (process.env.CI === "true") throw new Error("CI=true and dist/ is missing: run npm run build first");
    t.diagnostic("dist/ not built: checked the in-memory bundle only");
    return;
  }
  const files = staticClosure("dist/edgewatch.mjs", (f) =>
    [...readFileSync(f, "utf8").matchAll(/(?:from|import)\s*"\.\/((?:chunks\/)?[\w-]+\.mjs)"/g)].map(
      (m) => `dist/chunks/${(m[1] as string).replace(/^chunks\//, "")}`,
    ),
  );
  const dist = files.map((f) => readFileSync(f, "utf8")).join("\n");
  const chunk = /chunks\/nodemailer-[A-Z0-9]+\.mjs|\.\/nodemailer-[A-Z0-9]+\.mjs/
    .exec(dist)?.[0]
    ?.replace(/^\.\//, "chunks/");
  assert.ok(chunk && existsSync(`dist/${chunk}`), "dist/edgewatch.mjs loads nodemailer from dist/chunks/");
  assert.doesNotMatch(dist, /smtp-connection/, "nodemailer's SMTP code is not in the files every start reads");
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
