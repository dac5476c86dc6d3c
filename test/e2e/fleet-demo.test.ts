// `edgewatch demo` (npm start) as a user runs it: the real CLI starts a hub and three real agent
// processes; a device cut off the network goes down on the hub and comes back up, a frozen program is
// restarted by its agent's watchdog, photos carry an EXIF thumbnail exiftool reads, and SIGINT or
// SIGTERM leaves no process and no temp dir behind.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { withExif } from "../../src/demo/exif.ts";
import { DEMO_JPEG, DEMO_THUMBNAIL } from "../../src/demo/photo.ts";
import { requireTool, tempDir, waitFor } from "../helpers/tools.ts";

const MAIN = join(import.meta.dirname, "..", "..", "src", "cli", "main.ts");
const IDS = ["garden-timelapse", "gym-recorder", "shop-door"];

interface Demo {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The folder the demo takes as its temp dir (TMPDIR): empty again once it stopped. */
  tmp: string;
}

/** The demo in its own process group (as a shell runs it), with its own TMPDIR. */
function startDemo(t: TestContext, args: string[]): Demo {
  const tmp = tempDir(t, "ew-fleet-tmp-");
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, "demo", ...args], {
    env: { ...process.env, TMPDIR: tmp, EDGEWATCH_CONFIG: "", EDGEWATCH_DIR: "" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once("exit", (code, signal) => r({ code, signal })),
  );
  t.after(async () => {
    // whatever the test's outcome, nothing of the demo's group outlives it
    try {
      process.kill(-(child.pid as number), "SIGKILL");
    } catch {}
    await exited;
  });
  return { child, out: () => out, err: () => err, exited, tmp };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
  // a zombie is gone for every purpose but its pid
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
}

/** Waits for a line of the demo's output matching `re`; fails with the output so far. */
function line(demo: Demo, what: string, re: RegExp, ms = 120_000): Promise<RegExpExecArray> {
  return waitFor(what, () => re.exec(demo.out()), ms).then(
    (m) => m as RegExpExecArray,
    (err: Error) => {
      throw new Error(`${err.message}; output:\n${demo.out()}\nstderr:\n${demo.err()}`);
    },
  );
}

/** Local addresses (hex, as /proc/net/tcp writes them) listening on `port`. */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const found: string[] = [];
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const l of readFileSync(f, "utf8").split("\n").slice(1)) {
      const [, local, , st] = l.trim().split(/\s+/);
      if (st === "0A" && local?.endsWith(`:${hexPort}`)) found.push(local.split(":")[0] as string);
    }
  }
  return found;
}

/** Width and height from a JPEG's SOF segment (skipping APP segments, the EXIF one included). */
function jpegSize(b: Buffer): { width: number; height: number } | null {
  if (b[0] !== 0xff || b[1] !== 0xd8) return null;
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1] as number;
    if (marker >= 0xc0 && marker <= 0xc2) return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    i += 2 + b.readUInt16BE(i + 2);
  }
  return null;
}

async function devices(url: string): Promise<{ id: string; state: string; site: string }[]> {
  const r = await fetch(`${url}/api/v1/devices`);
  assert.equal(r.status, 200);
  return (await r.json()) as { id: string; state: string; site: string }[];
}

/** After the demo exited: no agent pid, nothing in its process group, nothing in its TMPDIR. */
async function assertNothingLeft(demo: Demo, pids: number[]): Promise<void> {
  for (const pid of pids) await waitFor(`agent pid ${pid} gone`, () => !alive(pid), 10_000);
  await waitFor("the demo's process group empty", () => !groupAlive(demo.child.pid as number), 10_000);
  // (tsx-*: the TypeScript loader's cache of this test's own `node --import tsx`, not the demo's)
  assert.deepEqual(
    readdirSync(demo.tmp).filter((n) => !n.startsWith("tsx-")),
    [],
    "the demo's temp dirs are removed",
  );
}

test("edgewatch demo: three agent processes on a hub; a drop goes down then up, a frozen program is healed; SIGINT leaves nothing", {
  timeout: 300_000,
}, async (t) => {
  const exiftool = requireTool(t, "exiftool", "libimage-exiftool-perl");
  if (!exiftool) return;
  const demo = startDemo(t, [
    "--port",
    "0",
    "--push-every",
    "1",
    "--capture-every",
    "1",
    "--freeze-every",
    "4",
    "--drop-every",
    "6",
    "--drop-for",
    "8",
  ]);
  const url = (await line(demo, "the fleet page's URL", /fleet page (http:\/\/\S+)\//))[1] as string;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.deepEqual(listeners(Number(new URL(url).port)), ["0100007F"], "the hub is bound to 127.0.0.1 only");
  await line(demo, "the devices' lines", /Ctrl-C stops everything/);
  const agents = new Map(
    [...demo.out().matchAll(/^ {2}(\S+) .* agent (http:\/\/\S+)\/ \(pid (\d+)\)$/gm)].map((m) => [
      m[1] as string,
      { url: m[2] as string, pid: Number(m[3]) },
    ]),
  );
  assert.deepEqual([...agents.keys()].sort(), IDS);
  for (const { pid } of agents.values()) {
    assert.ok(alive(pid), `agent ${pid} runs`);
    // a real process of its own, started as `edgewatch agent`, in the demo's process group
    assert.match(readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " "), / agent --config /);
    assert.equal(Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ")[2]), demo.child.pid);
  }

  // The hub lists the three devices, each pushing (up).
  await waitFor(
    "three devices up on the hub",
    async () => {
      const list = await devices(url);
      return list.length === 3 && list.every((d) => d.state === "up");
    },
    60_000,
  );
  assert.deepEqual((await devices(url)).map((d) => d.id).sort(), IDS);

  // A drop: the hub sees that device down, then up again once the relay reopens.
  const dropped = (await line(demo, "a drop", /^drop {4}(\S+): off the network/m))[1] as string;
  const seen: string[] = [];
  await waitFor(
    `${dropped} down then up on the hub`,
    async () => {
      const state = (await devices(url)).find((d) => d.id === dropped)?.state as string;
      if (seen.at(-1) !== state) seen.push(state);
      return seen.includes("down") && seen.lastIndexOf("up") > seen.indexOf("down");
    },
    60_000,
  );
  assert.match(demo.out(), new RegExp(`^hub {5}${dropped}: late → down$`, "m"));
  assert.match(demo.out(), new RegExp(`^back {4}${dropped}: on the network again$`, "m"));
  assert.match(
    demo.out(),
    new RegExp(`^notify CRITICAL ${dropped}: .*is down`, "m"),
    "the hub's notification reached the sink",
  );

  // A freeze: the device's own watchdog restarts the program; its recovery log has the restart and the recovery.
  const frozen = (await line(demo, "a freeze", /^freeze {2}(\S+): /m))[1] as string;
  await line(demo, "the heal", new RegExp(`^heal {4}${frozen}: its watchdog restarted`, "m"));
  await line(demo, "the recovery", new RegExp(`^healed {2}${frozen}: \\S+: recovered: `, "m"));
  const rec = (await (await fetch(`${agents.get(frozen)?.url}/api/recovery`)).json()) as { log: { step: string }[] };
  const steps = rec.log.map((e) => e.step);
  assert.ok(steps.includes("restart") && steps.includes("recovered"), `recovery log steps: ${steps}`);

  // A photo as a Pi camera writes it: the picture, and an EXIF thumbnail exiftool extracts.
  const latest = (await waitFor(
    "a photo",
    async () => {
      const r = await fetch(`${agents.get("garden-timelapse")?.url}/latest/photo`);
      return r.status === 200 ? r : null;
    },
    60_000,
  )) as Response;
  const photo = Buffer.from(await latest.arrayBuffer());
  assert.deepEqual(jpegSize(photo), { width: 160, height: 120 });
  const dir = readdirSync(demo.tmp).find((n) => n.startsWith("edgewatch-fleet-")) as string;
  const pics = join(demo.tmp, dir, "garden-timelapse", "pics");
  const file = join(pics, readdirSync(pics).find((n) => n.endsWith(".jpg")) as string);
  const thumb = execFileSync(exiftool, ["-b", "-ThumbnailImage", file]);
  assert.deepEqual(jpegSize(thumb), { width: 64, height: 48 }, "a 64×48 JPEG thumbnail");
  assert.equal(execFileSync(exiftool, ["-s3", "-Model", file], { encoding: "utf8" }).trim(), "timelapse camera");

  demo.child.kill("SIGINT");
  const { code } = await demo.exited;
  assert.equal(code, 0, demo.err());
  await assertNothingLeft(
    demo,
    [...agents.values()].map((a) => a.pid),
  );
  assert.doesNotMatch(demo.err(), /exited unexpectedly/);
});

test("edgewatch demo: an agent killed from outside is reported; SIGTERM stops the rest and removes every temp dir", {
  timeout: 180_000,
}, async (t) => {
  const demo = startDemo(t, ["--port", "0", "--push-every", "1", "--freeze-every", "0", "--drop-every", "0"]);
  await line(demo, "the devices' lines", /Ctrl-C stops everything/);
  const pids = [...demo.out().matchAll(/\(pid (\d+)\)$/gm)].map((m) => Number(m[1]));
  assert.equal(pids.length, 3);
  process.kill(pids[1] as number, "SIGKILL");
  await waitFor(
    "the report",
    () => /the agent of gym-recorder \(pid \d+\) exited unexpectedly \(SIGKILL\)/.test(demo.err()),
    30_000,
  );
  demo.child.kill("SIGTERM");
  const { code } = await demo.exited;
  assert.equal(code, 0, demo.err());
  await assertNothingLeft(demo, pids);
});

test("edgewatch demo killed outright (SIGKILL, no handler runs): its agents still stop", {
  timeout: 180_000,
}, async (t) => {
  if (!requireTool(t, "/usr/bin/setpriv", "util-linux")) return;
  const demo = startDemo(t, ["--port", "0", "--push-every", "1", "--freeze-every", "0", "--drop-every", "0"]);
  await line(demo, "the devices' lines", /Ctrl-C stops everything/);
  const pids = [...demo.out().matchAll(/\(pid (\d+)\)$/gm)].map((m) => Number(m[1]));
  assert.equal(pids.length, 3);
  demo.child.kill("SIGKILL");
  await demo.exited;
  for (const pid of pids) await waitFor(`agent pid ${pid} gone after the demo's death`, () => !alive(pid), 20_000);
  // (its temp dir is left: nothing runs at a SIGKILL; tempDir removes the test's TMPDIR)
});

test("the EXIF writer: exiftool reads the thumbnail back byte for byte; a rewrite replaces the segment; not a JPEG is refused", (t) => {
  const exiftool = requireTool(t, "exiftool", "libimage-exiftool-perl");
  if (!exiftool) return;
  const dir = tempDir(t, "ew-exif-");
  const file = join(dir, "p.jpg");
  const time = new Date(2026, 10, 30, 7, 5, 9);
  const once = withExif(DEMO_JPEG, DEMO_THUMBNAIL, { model: "first", time });
  const twice = withExif(once, DEMO_THUMBNAIL, { model: "second", time });
  assert.deepEqual(twice, withExif(DEMO_JPEG, DEMO_THUMBNAIL, { model: "second", time }), "one segment, not two");
  writeFileSync(file, twice);
  assert.deepEqual(execFileSync(exiftool, ["-b", "-ThumbnailImage", file]), DEMO_THUMBNAIL);
  const tags = JSON.parse(
    execFileSync(exiftool, ["-j", "-Model", "-DateTimeOriginal", "-ThumbnailLength", file], { encoding: "utf8" }),
  )[0];
  assert.equal(tags.Model, "second");
  assert.equal(tags.DateTimeOriginal, "2026:11:30 07:05:09");
  assert.equal(tags.ThumbnailLength, DEMO_THUMBNAIL.length);
  assert.equal(execFileSync(exiftool, ["-validate", "-s3", file], { encoding: "utf8" }).trim(), "OK");
  assert.throws(() => withExif(Buffer.from("GIF89a"), DEMO_THUMBNAIL), /expected a JPEG \(FF D8\)/);
});

test("edgewatch demo: a hub port already in use fails with a clear message and leaves nothing behind", {
  timeout: 120_000,
}, async (t) => {
  const busy = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => busy.once("listening", r));
  t.after(() => new Promise<void>((r) => busy.close(() => r())));
  const port = (busy.address() as { port: number }).port;
  const demo = startDemo(t, ["--port", String(port)]);
  const { code } = await demo.exited;
  assert.equal(code, 1);
  assert.match(
    demo.err(),
    new RegExp(`cannot start the hub: 127\\.0\\.0\\.1:${port} is already in use; pick another port with --port`),
  );
  assert.doesNotMatch(demo.out(), /agent http/);
  await assertNothingLeft(demo, []);
});
