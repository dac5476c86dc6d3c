import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
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
  // The CLI loads a command's file only when it runs (src/cli/commands.ts): what `edgewatch agent` reads
  // is the entry, the agent command's chunk, and every chunk those import statically.
  const agentCommand = Object.keys(outputs).find((o) => outputs[o]?.entryPoint === "src/cli/agent.ts") as string;
  const read = new Set<string>();
  const visit = (o: string) => {
    if (read.has(o)) return;
    read.add(o);
    for (const i of outputs[o]?.imports ?? []) if (i.kind === "import-statement" && !i.external) visit(i.path);
  };
  visit(entry);
  visit(agentCommand);
  const readAtAgentStart = [...read].flatMap((o) => Object.keys(outputs[o]?.inputs ?? {}));
  return { result, outputs, entry, readAtAgentStart };
}

test("nodemailer costs the agent nothing unless an email channel is configured: it sits in its own chunk", async (t) => {
  const { readAtAgentStart } = await agentBundle();
  const inEntry = readAtAgentStart;
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
  assert.doesNotMatch(dist, /smtp-connection/, "nodemailer's SMTP code is not in dist/edgewatch.mjs");
  const chunk = readdirSync("dist/chunks").find((f) => /^nodemailer-[A-Z0-9]+\.mjs$/.test(f));
  assert.ok(chunk, "nodemailer has its own file in dist/chunks/");
  assert.match(readFileSync(`dist/chunks/${chunk}`, "utf8"), /smtp-connection/, "its SMTP code is in that chunk");
  // Every file a start reads names the chunk only inside import(): loaded when an email channel sends.
  for (const f of ["edgewatch.mjs", ...readdirSync("dist/chunks").map((c) => `chunks/${c}`)]) {
    if (!f.endsWith(".mjs") || f.endsWith(chunk)) continue;
    const text = readFileSync(`dist/${f}`, "utf8");
    for (const m of text.matchAll(new RegExp(`.{0,12}${chunk.replace(".", "\\.")}`, "g")))
      assert.match(
        m[0],
        /import\("\.{1,2}\/(chunks\/)?nodemailer-/,
        `dist/${f} loads the chunk only dynamically: ${m[0]}`,
      );
  }
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
