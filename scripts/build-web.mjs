#!/usr/bin/env node
// Builds the device dashboard (web/) into dist/web/: one minified JS bundle and one CSS file with
// content hashes in their names (served as immutable), index.html pointing at them, and gzip and
// brotli copies of every file so the agent never compresses per request.
// `node scripts/build-web.mjs [--out DIR]`
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// Also imported by scripts/build.mjs, whose own arguments are not ours.
const direct = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
const { values } = direct ? parseArgs({ options: { out: { type: "string" } } }) : { values: {} };
const out = resolve(values.out ?? join(root, "dist", "web"));

const result = await build({
  // The bundle keeps its name (app-<hash>.js) whatever the entry file is called.
  entryPoints: { app: join(root, "web", "device", "main.ts") },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["chrome100", "firefox100", "safari15"],
  entryNames: "[name]-[hash]",
  outdir: join(out, "assets"),
  write: false,
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });

const files = new Map();
let js = "";
let css = "";
for (const f of result.outputFiles) {
  const name = `assets/${basename(f.path)}`;
  if (name.endsWith(".js")) js = name;
  if (name.endsWith(".css")) css = name;
  files.set(name, Buffer.from(f.contents));
}
if (!js || !css) throw new Error(`expected one .js and one .css output, got ${[...files.keys()].join(", ")}`);

const template = readFileSync(join(root, "web", "device", "index.html"), "utf8");
if (!template.includes("<!--css-->") || !template.includes("<!--js-->")) {
  throw new Error("web/device/index.html must contain the <!--css--> and <!--js--> placeholders");
}
// The stylesheet is inlined: it is small (~2 KiB compressed), and a render-blocking stylesheet
// costs a phone on a slow link one more round trip before the first paint. index.html is
// revalidated by ETag, so a repeat visit still downloads nothing. The agent allows exactly this
// <style> through its Content-Security-Policy by hash.
const cssText = files
  .get(css)
  .toString("utf8")
  .replace(/<\/style/gi, "<\\/style");
files.delete(css);
const html = template
  .replace("<!--css-->", () => `<style>${cssText}</style>`)
  .replace("<!--js-->", () => `<script type="module" src="/${js}"></script>`)
  .replace(/<!--(?!css|js)[\s\S]*?-->/g, "")
  .replace(/>\s*\n\s*</g, "><")
  .trim();
files.set("index.html", Buffer.from(`${html}\n`));

for (const [name, buf] of files) {
  const path = join(out, name);
  writeFileSync(path, buf);
  writeFileSync(`${path}.gz`, gzipSync(buf, { level: 9 }));
  writeFileSync(
    `${path}.br`,
    brotliCompressSync(buf, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length },
    }),
  );
}
const sizes = [...files].map(([n, b]) => `${n} ${b.length} B`).join(", ");
console.error(`build-web: ${out}: ${sizes}`);
