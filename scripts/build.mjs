#!/usr/bin/env node
// Bundles the CLI (which is also the one-file agent a device runs with plain `node`) and the library.
import { build } from "esbuild";

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
  // Bundled CommonJS dependencies may call require(); give ESM output one.
  banner: {
    js: "import { createRequire as __ewCreateRequire } from 'node:module'; const require = __ewCreateRequire(import.meta.url);",
  },
};

await Promise.all([
  build({ ...common, entryPoints: { edgewatch: "src/cli/main.ts" }, outdir: "dist", outExtension: { ".js": ".mjs" } }),
  build({ ...common, entryPoints: { index: "src/index.ts" }, outdir: "dist" }),
]);
await import("./build-web.mjs");
