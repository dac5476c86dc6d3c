#!/usr/bin/env node
// Bundles the CLI (which is also the one-file agent a device runs with plain `node`) and the library.
import { chmodSync, readFileSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { build } from "esbuild";

// zod ships every message locale (~260 KiB of the bundle's ~460 KiB of zod); edgewatch writes its own
// messages and uses only the default English one, so the others are left out. Measured: about 2 MiB less
// idle RSS (bench/footprint.bench.mjs).
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      loader: "js",
      resolveDir: dirname(args.path),
    }));
  },
};

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: "linked",
  // Minified, the agent idles at ~8 MiB less RSS on a device (measured: bench/agent.bench.mjs);
  // names kept so errors and logs still say which class threw. Stack positions map through the .map file.
  minify: true,
  keepNames: true,
  logLevel: "warning",
  plugins: [zodEnglishOnly],
  // Bundled CommonJS dependencies may call require(); give ESM output one.
  banner: {
    js: "import { createRequire as __ewCreateRequire } from 'node:module'; const require = __ewCreateRequire(import.meta.url);",
  },
};

// dist/edgewatch.mjs is also a launcher on its own (`./edgewatch.mjs agent` on a device): it gets
// bin/edgewatch's shebang, so node runs it with the agent's heap bounds, as one process
// (test/agent/recovery/install.test.ts checks both against AGENT_NODE_FLAGS). Its entry, src/entry/edgewatch.ts,
// sets the agent's V8 settings and then loads the CLI (dist/chunks/main-*.mjs) with import(); the CLI in
// turn loads only the command it runs (src/cli/commands.ts), each in its own chunk (dist/chunks/agent-*.mjs, …).
const shebang = readFileSync(new URL("../bin/edgewatch", import.meta.url), "utf8").split("\n")[0];

// Chunk names carry a content hash: without this, every build would leave the last one's chunks behind.
rmSync("dist/chunks", { recursive: true, force: true });
await Promise.all([
  build({
    ...common,
    entryPoints: { edgewatch: "src/entry/edgewatch.ts" },
    outdir: "dist",
    outExtension: { ".js": ".mjs" },
    // A dependency only one optional feature imports dynamically (nodemailer, for the email channel)
    // goes into its own file under dist/chunks/: a device that configures no e-mail never reads it.
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    banner: { js: `${shebang}\n${common.banner.js}` },
  }),
  build({ ...common, entryPoints: { index: "src/index.ts" }, outdir: "dist" }),
]);
chmodSync("dist/edgewatch.mjs", 0o755);
await import("./build-web.mjs");
