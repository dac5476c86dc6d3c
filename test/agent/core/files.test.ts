import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, utimesSync, writeFileSync, writeSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir, waitFor } from "../../helpers/tools.ts";
import { get, startTestAgent } from "./helpers.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");

test("/latest/photo serves the newest match by mtime with Content-Type, Content-Length, Last-Modified, ETag; 304 and 404", async (t) => {
  const pics = tempDir(t, "ew-pics-");
  mkdirSync(join(pics, "2026-02-07"));
  mkdirSync(join(pics, "2026-02-08"));
  const files = [
    ["2026-02-07/0001.jpg", "old", 1_700_000_000],
    ["2026-02-08/0342.jpg", "newest-photo-bytes", 1_700_000_200],
    ["2026-02-08/0341.jpg", "middle", 1_700_000_100],
    ["2026-02-08/notes.txt", "not a photo", 1_700_000_999],
  ] as const;
  for (const [name, body, mtime] of files) {
    writeFileSync(join(pics, name), body);
    utimesSync(join(pics, name), mtime, mtime);
  }
  const a = await startTestAgent(t, { files: { photos: [`${pics}/**/*.jpg`], videos: [`${pics}/videos/*.mp4`] } });
  const r = await get(`${a.url}/latest/photo`);
  assert.equal(r.status, 200);
  assert.equal(r.body, "newest-photo-bytes");
  assert.equal(r.headers["content-type"], "image/jpeg");
  assert.equal(r.headers["content-length"], String("newest-photo-bytes".length));
  assert.equal(r.headers["last-modified"], new Date(1_700_000_200_000).toUTCString());
  assert.equal(r.headers["accept-ranges"], "bytes");
  assert.match(String(r.headers["content-disposition"]), /filename="0342.jpg"/);
  const etag = String(r.headers.etag);
  assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+"$/);
  const cached = await get(`${a.url}/latest/photo`, { "If-None-Match": etag });
  assert.equal(cached.status, 304);
  assert.equal(cached.body, "");
  const sinceOk = await get(`${a.url}/latest/photo`, { "If-Modified-Since": String(r.headers["last-modified"]) });
  assert.equal(sinceOk.status, 304);
  // If-Range with a stale validator: the whole file, not the range
  const stale = await get(`${a.url}/latest/photo`, { Range: "bytes=0-3", "If-Range": '"stale"' });
  assert.equal(stale.status, 200);
  assert.equal(stale.body, "newest-photo-bytes");
  const fresh = await get(`${a.url}/latest/photo`, { Range: "bytes=0-5", "If-Range": etag });
  assert.equal(fresh.status, 206);
  assert.equal(fresh.body, "newest");

  const none = await get(`${a.url}/latest/video`);
  assert.equal(none.status, 404);
  assert.match(none.json<{ error: string }>().error, /no video found matching files\.videos: .*videos\/\*\.mp4/);
});

function spawnAgent(t: import("node:test").TestContext, configPath: string): Promise<{ url: string; pid: number }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(ROOT, "src/cli/main.ts"),
      "agent",
      "--config",
      configPath,
      "--port",
      "0",
      "--bind",
      "127.0.0.1",
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  // Wait for the exit: the agent flushes its state at SIGTERM, and the temp dir is removed after this.
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  });
  let out = "";
  let err = "";
  child.stderr?.on("data", (c: Buffer) => {
    err = (err + c.toString()).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1] as string, pid: child.pid as number });
    });
    child.once("exit", (code) => reject(new Error(`agent exited ${code}: ${err}`)));
  });
}

function procKiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1]);
}

/** Download a URL, discarding the body; returns status, headers and the bytes counted (and a slice of them). */
function download(url: string, headers: Record<string, string> = {}, method = "GET") {
  return new Promise<{ status: number; headers: Record<string, unknown>; bytes: number; head: Buffer; sha256: string }>(
    (resolve, reject) => {
      const req = request(url, { method, headers, agent: false }, (res) => {
        let bytes = 0;
        let head = Buffer.alloc(0);
        const hash = createHash("sha256");
        res.on("data", (c: Buffer) => {
          hash.update(c);
          if (head.length < 64) head = Buffer.concat([head, c.subarray(0, 64 - head.length)]);
          bytes += c.length;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, head, sha256: hash.digest("hex") }),
        );
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    },
  );
}

test("Range requests on a 200 MB video: 206/416/HEAD are right and the agent's peak RSS stays bounded", {
  timeout: 300_000,
}, async (t) => {
  const dir = tempDir(t, "ew-video-");
  const videos = join(dir, "videos");
  mkdirSync(videos);
  const size = 200 * 1024 * 1024;
  const path = join(videos, "20260208_Pi0Cam_timelapse.mp4");
  const fd = openSync(path, "w");
  writeSync(fd, Buffer.from("ftypisom"), 0, 8, 4);
  writeSync(fd, Buffer.from("MIDDLE-MARKER"), 0, 13, 150 * 1024 * 1024);
  writeSync(fd, Buffer.from("THE-END"), 0, 7, size - 7); // sparse: only three blocks on disk
  closeSync(fd);
  const cfg = join(dir, "agent.yaml");
  writeFileSync(
    cfg,
    `device: {id: pi-video, site: lab}\nstatus_dir: ${join(dir, "status")}\nstate_dir: ${join(dir, "state")}\nfiles:\n  videos: ["${videos}/*.mp4"]\n`,
  );
  const { url, pid } = await spawnAgent(t, cfg);
  await waitFor("agent /health", async () => (await get(`${url}/health`)).status === 200, 60_000);

  const head = await download(`${url}/latest/video`, {}, "HEAD");
  assert.equal(head.status, 200);
  assert.equal(head.headers["content-length"], String(size));
  assert.equal(head.headers["content-type"], "video/mp4");
  assert.equal(head.bytes, 0);

  const part = await download(`${url}/latest/video`, { Range: `bytes=${150 * 1024 * 1024}-${150 * 1024 * 1024 + 12}` });
  assert.equal(part.status, 206);
  assert.equal(part.headers["content-range"], `bytes ${150 * 1024 * 1024}-${150 * 1024 * 1024 + 12}/${size}`);
  assert.equal(part.head.toString(), "MIDDLE-MARKER");
  const tail = await download(`${url}/latest/video`, { Range: "bytes=-7" });
  assert.equal(tail.status, 206);
  assert.equal(tail.head.toString(), "THE-END");
  const open = await download(`${url}/latest/video`, { Range: `bytes=${size - 3}-` });
  assert.equal(open.status, 206);
  assert.equal(open.bytes, 3);
  const out = await get(`${url}/latest/video`, { Range: `bytes=${size}-` });
  assert.equal(out.status, 416);
  assert.equal(out.headers["content-range"], `bytes */${size}`);
  assert.match(out.json<{ error: string }>().error, /outside the file's 209715200 bytes/);

  const before = procKiB(pid, "VmHWM");
  // the whole file, three times at once, plus range reads from the middle to the end
  const results = await Promise.all([
    download(`${url}/latest/video`),
    download(`${url}/latest/video`),
    download(`${url}/latest/video`),
    download(`${url}/latest/video`, { Range: `bytes=${100 * 1024 * 1024}-` }),
  ]);
  const fileHash = createHash("sha256").update(readFileSync(path)).digest("hex");
  for (const r of results.slice(0, 3)) {
    assert.equal(r.status, 200);
    assert.equal(r.bytes, size);
    assert.equal(r.sha256, fileHash, "every byte arrives intact");
  }
  assert.equal(results[3]?.status, 206);
  assert.equal(results[3]?.bytes, size - 100 * 1024 * 1024);
  const after = procKiB(pid, "VmHWM");
  const grewMiB = (after - before) / 1024;
  t.diagnostic(
    `agent peak RSS ${before} kB before, ${after} kB after streaming 700 MiB (${grewMiB.toFixed(1)} MiB growth)`,
  );
  assert.ok(
    grewMiB < 48,
    `peak RSS grew ${grewMiB.toFixed(1)} MiB while streaming 700 MiB; expected bounded (< 48 MiB)`,
  );
  assert.equal((await get(`${url}/health`)).status, 200);
});
