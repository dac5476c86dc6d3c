#!/usr/bin/env node
// Bundles the CLI (which is also the one-file agent a device runs with plain `node`) and the library.
import { build } from "esbuild";

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: "linked",
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
