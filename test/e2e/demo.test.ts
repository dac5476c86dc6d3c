// `edgewatch demo` as a user runs it: the real CLI, its agent and simulator, the built dashboard in
// Chromium. It must listen on this machine only and show a real photo.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir, waitFor } from "../helpers/tools.ts";
import { launchChromium } from "./helpers/browser.ts";
import { buildWeb } from "./helpers/web.ts";

const MAIN = join(import.meta.dirname, "..", "..", "src", "cli", "main.ts");

/** Width and height from a baseline or progressive JPEG's SOF segment; null when it is not a JPEG. */
function jpegSize(b: Buffer): { width: number; height: number } | null {
  if (b[0] !== 0xff || b[1] !== 0xd8 || b[b.length - 2] !== 0xff || b[b.length - 1] !== 0xd9) return null;
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1] as number;
    const len = b.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc2) return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    i += 2 + len;
  }
  return null;
}

/** Local addresses (hex, as /proc/net/tcp writes them) listening on `port`. */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const out: string[] = [];
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(f, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const [, local, , st] = line.trim().split(/\s+/);
      if (st === "0A" && local?.endsWith(`:${hexPort}`)) out.push(local.split(":")[0] as string);
    }
  }
  return out;
}

test("edgewatch demo: listens on 127.0.0.1 only, and its photo tile shows a real JPEG", async (t) => {
  const browser = await launchChromium(t, { width: 390, height: 844 });
  if (!browser) return;
  const web = buildWeb(t);
  const dir = tempDir(t, "ew-demo-");
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      MAIN,
      "demo",
      "--device",
      "--dir",
      dir,
      "--port",
      "0",
      "--interval",
      "0.3",
      "--duration",
      "300",
    ],
    {
      env: { ...process.env, EDGEWATCH_WEB_DIR: web, EDGEWATCH_CONFIG: "", EDGEWATCH_DIR: "" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise((r) => child.once("exit", r));
  t.after(async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
  });

  const url = (await waitFor(
    "the demo's URL",
    () => /agent on (http:\/\/[^\s]+)/.exec(out)?.[1] ?? null,
    120_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; output:\n${out}`);
  })) as string;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const port = Number(new URL(url).port);
  assert.deepEqual(listeners(port), ["0100007F"], "bound to 127.0.0.1, not 0.0.0.0");

  // /config: the values in effect, the sample file they came from, and the keys the demo replaced.
  const cfg = (await (await fetch(`${url}/config`)).json()) as {
    path: string;
    overrides: string[];
    config: { status_dir: string };
  };
  assert.equal(cfg.config.status_dir, join(dir, "status"));
  assert.match(cfg.path, /examples\/device\.yaml$/);
  for (const k of ["status_dir", "state_dir", "files.photos", "http.bind", "notify.channels"])
    assert.ok(cfg.overrides.includes(k), `${k} in overrides ${JSON.stringify(cfg.overrides)}`);

  const photo = (await waitFor(
    "a photo",
    async () => {
      const r = await fetch(`${url}/latest/photo`);
      return r.status === 200 ? r : null;
    },
    120_000,
  )) as Response;
  assert.equal(photo.headers.get("content-type"), "image/jpeg");
  assert.deepEqual(jpegSize(Buffer.from(await photo.arrayBuffer())), { width: 160, height: 120 });

  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(`${url}/`);
  await page.waitForFunction(
    () => {
      const img = document.getElementById("photo") as HTMLImageElement;
      return img.naturalWidth === 160 && !img.hidden;
    },
    null,
    { timeout: 60_000 },
  );
  assert.equal(await page.evaluate(() => (document.getElementById("photo-none") as HTMLElement).hidden), true);
  // Decoded pixels, not a blank tile: the top (sky) and the bottom (grass) differ in colour.
  const colours = await page.evaluate(async () => {
    // The tile's src changes with every capture: decode one copy of it, then read its pixels.
    const img = new Image();
    img.src = (document.getElementById("photo") as HTMLImageElement).src;
    await img.decode();
    const c = document.createElement("canvas");
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const g = c.getContext("2d") as CanvasRenderingContext2D;
    g.drawImage(img, 0, 0);
    return [[...g.getImageData(10, 5, 1, 1).data], [...g.getImageData(10, 115, 1, 1).data]];
  });
  const [sky, grass] = colours as [number[], number[]];
  assert.ok((sky[2] as number) > 150 && (sky[2] as number) > (sky[1] as number), `blue sky: ${sky}`);
  assert.ok((grass[1] as number) > (grass[2] as number), `green grass: ${grass}`);
});

test("edgewatch demo --bind: a bad address is a usage error naming what was expected", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", MAIN, "demo", "--bind", "everywhere"], {
    encoding: "utf8",
    env: { ...process.env, EDGEWATCH_CONFIG: "", EDGEWATCH_DIR: "" },
    timeout: 60_000,
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--bind: expected an IP address like 127\.0\.0\.1 or 0\.0\.0\.0, got "everywhere"/);
});
