// Hostile input in the status directory, against the real agent process and real files: every
// case is refused with one warning, the last good state is kept, and the agent keeps serving,
// keeps reading and still stops on SIGTERM.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { writeFileAtomicSync } from "../../../src/protocol/atomic.ts";
import { emitEvent } from "../../../src/protocol/events.ts";
import { webhookServer } from "../notify/contracts.ts";
import { deepJson, startAgentProcess, waitFor } from "./agent-process.ts";

/** The unit's MemoryMax (src/agent/recovery/install.ts). */
const MEMORY_MAX = 96 * 1024 * 1024;

/** Written as writers do (temp file + rename), so the reader never sees half a file. */
const mib = (n: number) => (n / 1048576).toFixed(1);

const fragment = (statusDir: string, source: string, text: string) =>
  writeFileAtomicSync(join(statusDir, "status.d", `${source}.json`), text);

test("deep and wide JSON in fragments and events: refused with one warning each, /status keeps the last good state, the next event is delivered", async (t) => {
  const hook = await webhookServer(t);
  const a = await startAgentProcess(
    t,
    `notify:
  channels:
    - { type: webhook, url: "${hook.url}/hook" }
  outbox: { backoff_initial: 100ms, backoff_max: 500ms }
`,
  );
  fragment(a.statusDir, "cam", JSON.stringify({ status: "capturing", today: { photos_captured: 7 } }));
  await waitFor(
    "the good fragment",
    async () => (await a.json<{ status: string }>("/status")).body.status === "capturing",
  );

  // ~200 KB: well inside the 1 MiB size limit, 100,000 levels deep
  fragment(a.statusDir, "cam", `{"status":"idle","deep":${deepJson(100_000)}}`);
  fragment(a.statusDir, "objs", `{"status":"idle","deep":${deepJson(50_000, true)}}`);
  const wide = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]));
  fragment(a.statusDir, "wide", JSON.stringify({ status: "idle", wide }));
  // an event nested 30,000 levels deep, under the 64 KiB limit, named to sort before the next one
  const deepEvent = `{"level":"error","source":"cam","message":"deep","fields":{"x":${deepJson(30_000)}}}`;
  writeFileAtomicSync(join(a.statusDir, "events", "new", "0000000000001-1-000001-aaaaaa.json"), deepEvent);
  await emitEvent("cam", { level: "error", message: "after the deep one" }, { dir: a.statusDir });

  await waitFor("three fragment warnings and one event warning", () => a.warnings().length >= 4);
  // the refused input cost no lasting memory (peak RSS over the whole run is reported below)
  assert.ok(a.rss() < MEMORY_MAX, `RSS ${a.rss()} bytes is over the unit's MemoryMax`);
  const byReason = (source: string, re: RegExp) => a.warnings().filter((w) => w.source === source && re.test(w.reason));
  assert.equal(byReason("cam", /levels of nesting/).length, 1, a.log());
  assert.equal(byReason("objs", /levels of nesting/).length, 1, a.log());
  assert.equal(byReason("wide", /entries in one object/).length, 1, a.log());
  assert.equal(byReason("events/0000000000001-1-000001-aaaaaa.json", /levels of nesting.*events\/bad/).length, 1);

  const status = await a.json<Record<string, unknown>>("/status");
  assert.equal(status.status, 200, String(status.body));
  assert.equal(status.body.status, "capturing", "the last good fragment is kept");
  assert.equal(status.body.deep, undefined);
  assert.equal(status.body.wide, undefined);
  assert.ok(existsSync(join(a.statusDir, "events", "bad", "0000000000001-1-000001-aaaaaa.json")));

  // the outbox is not wedged: the event behind the deep one is delivered
  await waitFor("the next event delivered", () =>
    hook.accepted.some((r) => String(r.json?.message).includes("after the deep one")),
  );
  assert.equal(hook.accepted.filter((r) => String(r.json?.message).includes('deep"')).length, 0);

  // the reader still reads: a good fragment after all that
  fragment(a.statusDir, "next", JSON.stringify({ status: "idle", next: 1 }));
  await waitFor("the next good fragment", async () => (await a.json<{ next?: number }>("/status")).body.next === 1);
  assert.equal((await a.json("/health")).status, 200);
  for (const path of ["/api/health", "/metrics", "/api/status/history"]) {
    const r = await fetch(`${a.url}${path}`);
    assert.ok(r.status < 500, `${path}: ${r.status}`);
    await r.arrayBuffer();
  }
  t.diagnostic(`RSS ${mib(a.rss())} MiB, peak ${mib(a.peakRss())} MiB (unit MemoryMax 96 MiB)`);
  assert.equal(await a.stop(), 0, a.log());
  assert.doesNotMatch(a.log(), /uncaught|Maximum call stack/);
});

test("special files (FIFOs, symlinks out of the folder, /dev/zero, directories) are refused with one warning; reading, serving and SIGTERM go on", async (t) => {
  const a = await startAgentProcess(
    t,
    ({ dir }) => `files: { photos: ["${join(dir, "photos")}/*.jpg"] }`,
    ({ dir, statusDir }) => {
      writeFileSync(join(dir, "secret.json"), JSON.stringify({ status: "idle", secret: "SECRET-OUTSIDE" }));
      const d = join(statusDir, "status.d");
      fragment(statusDir, "good", JSON.stringify({ status: "capturing", good: 1 }));
      // four FIFOs: as many as libuv has threads, each would hold one forever
      for (let i = 1; i <= 4; i++) execFileSync("mkfifo", [join(d, `fifo${i}.json`)]);
      symlinkSync(join(dir, "secret.json"), join(d, "leak.json"));
      symlinkSync("/dev/zero", join(d, "zero.json"));
      mkdirSync(join(d, "dir.json"));
      const ev = join(statusDir, "events", "new");
      execFileSync("mkfifo", [join(ev, "0000000000001-1-000001-aaaaaa.json")]);
      symlinkSync("/dev/zero", join(ev, "0000000000002-1-000001-aaaaaa.json"));
      symlinkSync(join(dir, "secret.json"), join(ev, "0000000000003-1-000001-aaaaaa.json"));
      // photos: a real one, and a newer symlink to a file outside files.photos
      mkdirSync(join(dir, "photos"));
      writeFileSync(join(dir, "photos", "a.jpg"), "REAL-PHOTO");
      writeFileSync(join(dir, "outside.jpg"), "SECRET-PHOTO");
      symlinkSync(join(dir, "outside.jpg"), join(dir, "photos", "b.jpg"));
      const future = new Date(Date.now() + 3_600_000);
      utimesSync(join(dir, "outside.jpg"), future, future);
    },
  );
  await waitFor("the good fragment", async () => (await a.json<{ good?: number }>("/status")).body.good === 1);
  const expected = ["fifo1", "fifo2", "fifo3", "fifo4", "leak", "zero", "dir"];
  await waitFor("a warning for each special fragment", () =>
    expected.every((s) => a.warnings().some((w) => w.source === s)),
  );
  for (const s of expected) {
    const ws = a.warnings().filter((w) => w.source === s);
    assert.equal(ws.length, 1, `${s}: ${JSON.stringify(ws)}`);
    assert.match(ws[0]?.reason ?? "", /expected a regular file, got (a FIFO|a symbolic link|a directory)/);
  }
  await waitFor(
    "the three special event files moved to events/bad",
    () => readdirSync(join(a.statusDir, "events", "new")).length === 0,
  );
  assert.equal(readdirSync(join(a.statusDir, "events", "bad")).length, 3);

  const status = await a.json<Record<string, unknown>>("/status");
  assert.equal(status.status, 200);
  assert.doesNotMatch(JSON.stringify(status.body), /SECRET-OUTSIDE/);
  assert.doesNotMatch(a.log(), /SECRET-OUTSIDE/);

  // the reader still reads fragments and events
  fragment(a.statusDir, "next", JSON.stringify({ status: "idle", next: 2 }));
  await emitEvent("next", { level: "error", message: "still reading events" }, { dir: a.statusDir });
  await waitFor("the next fragment and event", async () => {
    const b = (await a.json<{ next?: number; errors: { message: string }[] }>("/status")).body;
    return b.next === 2 && b.errors.some((e) => e.message === "still reading events");
  });

  // /latest/photo serves the real photo, never the target of the newer symlink beside it
  const photo0 = await fetch(`${a.url}/latest/photo`);
  assert.equal(await photo0.text(), "REAL-PHOTO");
  // SIGHUP still works (the reader re-reads every special file again on reload)
  a.child.kill("SIGHUP");
  await waitFor("config reloaded", () => /config reloaded; listening on (\S+)/.exec(a.out())?.[1]);
  const url = /config reloaded; listening on (\S+)/.exec(a.out())?.[1] as string;
  const photo = await fetch(`${url}/latest/photo`);
  assert.equal(photo.status, 200);
  assert.equal(await photo.text(), "REAL-PHOTO");
  assert.equal((await fetch(`${url}/health`)).status, 200);
  assert.ok(a.rss() < MEMORY_MAX, `RSS ${a.rss()} bytes is over the unit's MemoryMax`);
  t.diagnostic(`RSS ${mib(a.rss())} MiB, peak ${mib(a.peakRss())} MiB (unit MemoryMax 96 MiB)`);
  assert.equal(await a.stop(), 0, a.log());
});

test("a legacy status file that is a symlink or a FIFO is refused; a regular one is read", async (t) => {
  const b = await startAgentProcess(
    t,
    ({ dir }) => `legacy_status_file: ${join(dir, "legacy", "status.json")}`,
    ({ dir, statusDir }) => {
      mkdirSync(join(dir, "legacy"));
      writeFileSync(join(dir, "secret.json"), JSON.stringify({ status: "idle", secret: "SECRET-OUTSIDE" }));
      symlinkSync(join(dir, "secret.json"), join(dir, "legacy", "status.json"));
      fragment(statusDir, "good", JSON.stringify({ status: "idle", good: 1 }));
    },
  );
  const legacy = join(b.dir, "legacy", "status.json");
  await waitFor("a warning for the symlinked legacy file", () => b.warnings().some((w) => w.source === "legacy"));
  assert.match(b.warnings().find((w) => w.source === "legacy")?.reason ?? "", /symbolic link/);
  assert.doesNotMatch(JSON.stringify((await b.json("/status")).body), /SECRET-OUTSIDE/);
  rmSync(legacy);
  execFileSync("mkfifo", [legacy]);
  await waitFor("a warning for the FIFO", () => b.warnings().some((w) => /FIFO/.test(w.reason)));
  rmSync(legacy);
  writeFileAtomicSync(legacy, JSON.stringify({ status: "capturing", legacy_ok: true }));
  await waitFor(
    "the regular legacy file",
    async () => (await b.json<{ legacy_ok?: boolean }>("/status")).body.legacy_ok,
  );
  assert.equal(await b.stop(), 0, b.log());
});

test("reserved keys (__proto__, constructor, prototype) are refused with a warning; /status and /metrics agree", async (t) => {
  const a = await startAgentProcess(t);
  fragment(a.statusDir, "plan", JSON.stringify({ status: "capturing", today: { expected_photos: 10 } }));
  await waitFor("the plan", async () => (await a.json<{ status: string }>("/status")).body.status === "capturing");
  fragment(a.statusDir, "evil", '{"today":{"__proto__":{"photos_captured":999}}}');
  fragment(a.statusDir, "evil2", '{"__proto__":{"status":"error"},"x":1}');
  fragment(a.statusDir, "evil3", '{"a":{"b":{"constructor":{"prototype":1}}}}');
  await waitFor("three warnings", () =>
    ["evil", "evil2", "evil3"].every((s) => a.warnings().some((w) => w.source === s)),
  );
  for (const s of ["evil", "evil2", "evil3"]) {
    assert.match(a.warnings().find((w) => w.source === s)?.reason ?? "", /is reserved/);
  }
  fragment(a.statusDir, "after", JSON.stringify({ after: 1 }));
  await waitFor("a later fragment", async () => (await a.json<{ after?: number }>("/status")).body.after === 1);
  const status = (await a.json<{ status: string; today: Record<string, unknown> }>("/status")).body;
  const health = (await a.json<{ status: string }>("/api/health")).body;
  const metrics = await (await fetch(`${a.url}/metrics`)).text();
  assert.equal(status.status, "capturing");
  assert.equal(health.status, status.status, "/api/health and /status agree on the device status");
  assert.equal(status.today.photos_captured, undefined);
  assert.doesNotMatch(metrics, /edgewatch_photos_captured_today/, "/metrics shows no value /status does not have");
  assert.match(metrics, /edgewatch_photos_expected_today\{[^}]*\} 10\n/);
  assert.equal(await a.stop(), 0, a.log());
});

test("an event whose hand-off keeps failing (outbox cannot write) is recorded in errors[] once, then delivered once", async (t) => {
  const hook = await webhookServer(t);
  const a = await startAgentProcess(
    t,
    `notify:
  channels:
    - { type: webhook, url: "${hook.url}/hook" }
  outbox: { backoff_initial: 100ms, backoff_max: 500ms }
`,
  );
  const pending = join(a.stateDir, "outbox", "pending");
  await waitFor("outbox started", () => existsSync(pending));
  rmSync(pending, { recursive: true });
  writeFileSync(pending, "not a folder: every write under it fails, like a full disk");
  // a video error notifies at once (a single capture error would only be counted)
  await emitEvent("cam", { level: "error", message: "video encoding failed", code: "VID-1" }, { dir: a.statusDir });
  const failures = () =>
    a
      .log()
      .split("\n")
      .filter((l) => /cannot write notification/.test(l)).length;
  await waitFor("three failed hand-offs (the reader retries)", () => failures() >= 3);
  const errs = (await a.json<{ errors: { message: string }[] }>("/status")).body.errors;
  assert.equal(errs.filter((e) => e.message === "video encoding failed").length, 1, JSON.stringify(errs));

  rmSync(pending);
  mkdirSync(pending);
  await waitFor("delivered once the outbox can write", () => hook.accepted.length >= 1);
  const after = (await a.json<{ errors: { message: string }[] }>("/status")).body.errors;
  assert.equal(after.filter((e) => e.message === "video encoding failed").length, 1, JSON.stringify(after));
  assert.equal(hook.accepted.filter((r) => /video encoding failed/.test(String(r.json?.message))).length, 1);
  assert.equal(await a.stop(), 0, a.log());
});

test("thousands of queued events at start: HTTP answers before the backlog is drained, then every event is handed on", async (t) => {
  const hook = await webhookServer(t);
  const N = 5000;
  const a = await startAgentProcess(
    t,
    `notify:
  channels:
    - { type: webhook, url: "${hook.url}/hook" }
`,
    ({ statusDir }) => {
      const dir = join(statusDir, "events", "new");
      for (let i = 0; i < N; i++) {
        const name = `${String(1_700_000_000_000 + i).padStart(13, "0")}-1-${String(i).padStart(6, "0")}-aaaaaa.json`;
        writeFileSync(join(dir, name), JSON.stringify({ level: "info", source: "cam", message: `queued ${i}` }));
      }
    },
  );
  // the process said it listens: ask at once how much of the backlog is left
  const left = readdirSync(join(a.statusDir, "events", "new")).length;
  assert.equal((await a.json("/health")).status, 200);
  assert.ok(left > 0, "HTTP answered only after the whole backlog was drained");
  await waitFor("the backlog drained", () => readdirSync(join(a.statusDir, "events", "new")).length === 0, 300_000);
  assert.equal((await a.json("/health")).status, 200);
  assert.equal(await a.stop(), 0, a.log());
});

test("an exception thrown in a timer and a rejected promise are logged; the agent keeps serving and reading", async (t) => {
  // loaded into the agent's own process: a bug that throws from a callback, once it serves
  const bug = `setTimeout(() => { throw new Error("boom in a timer"); }, 1500);
    setTimeout(() => { Promise.reject(new Error("boom in a promise")); }, 1600);`;
  const a = await startAgentProcess(t, "", undefined, ["--import", `data:text/javascript,${encodeURIComponent(bug)}`]);
  await waitFor("both logged", () => /boom in a promise/.test(a.log()) || a.child.exitCode !== null);
  assert.equal(a.child.exitCode, null, a.log());
  assert.match(a.log(), /"uncaught exception; the agent keeps running","error":"boom in a timer"/);
  assert.match(a.log(), /"unhandled promise rejection; the agent keeps running","error":"boom in a promise"/);
  assert.equal((await a.json("/health")).status, 200);
  fragment(a.statusDir, "after", JSON.stringify({ after: 1 }));
  await waitFor(
    "a fragment read after the exceptions",
    async () => (await a.json<{ after?: number }>("/status")).body.after === 1,
  );
  assert.equal(await a.stop(), 0, a.log());
});

test("a heartbeat file that is a FIFO or a symlink to /dev/zero is refused with a warning; the agent keeps reading", async (t) => {
  const a = await startAgentProcess(
    t,
    ({ dir }) => `recovery:
  watches:
    - { name: pipe, heartbeat_file: ${join(dir, "hb", "pipe.json")}, stale_after: 1h }
    - { name: zero, heartbeat_file: ${join(dir, "hb", "zero.json")}, stale_after: 1h }
`,
    ({ dir }) => {
      mkdirSync(join(dir, "hb"));
      execFileSync("mkfifo", [join(dir, "hb", "pipe.json")]);
      symlinkSync("/dev/zero", join(dir, "hb", "zero.json"));
    },
  );
  await waitFor("a warning for each heartbeat file", () =>
    ["pipe.json: expected a regular file, got a FIFO", "zero.json: expected a regular file, got a symbolic link"].every(
      (m) => a.log().includes(m),
    ),
  );
  fragment(a.statusDir, "after", JSON.stringify({ after: 1 }));
  await waitFor(
    "a fragment read after them",
    async () => (await a.json<{ after?: number }>("/status")).body.after === 1,
  );
  assert.equal((await a.json("/health")).status, 200);
  assert.ok(a.rss() < MEMORY_MAX, `RSS ${a.rss()} bytes is over the unit's MemoryMax`);
  assert.equal(await a.stop(), 0, a.log());
});
