#!/usr/bin/env node
// Builds the web pages into dist/web/: the device dashboard (web/, served by the agent) at the root
// and the fleet page (web/fleet/, served by the hub) in dist/web/fleet/. Per page: one minified JS
// bundle and one CSS file with content hashes in their names (served as immutable), index.html
// pointing at them with the CSS inlined, and gzip and brotli copies of every file so no server
// compresses per request.
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

/** Every page: its entry, its HTML template, and its folder under the output directory. */
const PAGES = [
  // The device page's bundle keeps its name (app-<hash>.js) whatever its entry file is called.
  {
    name: "app",
    entry: join(root, "web", "device", "main.ts"),
    template: join(root, "web", "device", "index.html"),
    dir: "",
  },
  {
    name: "fleet",
    entry: join(root, "web", "fleet", "main.tsx"),
    template: join(root, "web", "fleet", "index.html"),
    dir: "fleet",
  },
];

/** Bundles one page; returns its files (path relative to the page's folder → bytes). */
async function buildPage(page) {
  const result = await build({
    entryPoints: { [page.name]: page.entry },
    bundle: true,
    minify: true,
    format: "esm",
    target: ["chrome100", "firefox100", "safari15"],
    entryNames: "[name]-[hash]",
    outdir: join(out, page.dir, "assets"),
    write: false,
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
    jsx: "automatic",
    jsxImportSource: "preact",
  });
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

  const template = readFileSync(page.template, "utf8");
  if (!template.includes("<!--css-->") || !template.includes("<!--js-->")) {
    throw new Error(`${page.template} must contain the <!--css--> and <!--js--> placeholders`);
  }
  // The stylesheet is inlined: it is small (a few KiB compressed), and a render-blocking stylesheet
  // costs a phone on a slow link one more round trip before the first paint. index.html is
  // revalidated by ETag, so a repeat visit still downloads nothing. The server allows exactly this
  // <style> through its Content-Security-Policy by hash.
  const cssText = files
    .get(css)
    .toString("utf8")
    .replace(/<\/style/gi, "<\\/style");
  files.delete(css);
  // Each page is served at the root of its server (the agent, the hub): its assets are under /assets/.
  const html = template
    .replace("<!--css-->", () => `<style>${cssText}</style>`)
    .replace("<!--js-->", () => `<script type="module" src="/${js}"></script>`)
    .replace(/<!--(?!css|js)[\s\S]*?-->/g, "")
    .replace(/>\s*\n\s*</g, "><")
    .trim();
  files.set("index.html", Buffer.from(`${html}\n`));
  return files;
}

const built = [];
for (const page of PAGES) built.push([page, await buildPage(page)]);

rmSync(out, { recursive: true, force: true });
for (const [page, files] of built) {
  mkdirSync(join(out, page.dir, "assets"), { recursive: true });
  for (const [name, buf] of files) {
    const path = join(out, page.dir, name);
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
  console.error(`build-web: ${join(out, page.dir)}: ${sizes}`);
}
