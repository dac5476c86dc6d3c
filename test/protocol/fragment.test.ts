import assert from "node:assert/strict";
import { promises as fsp, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { emitEvent, heartbeat, readDeviceStatus, updateStatus, writeFragment } from "../../src/index.ts";
import { parseEvent } from "../../src/protocol/events.ts";
import { parseFragment } from "../../src/protocol/fragment.ts";
import { deepMerge } from "../../src/protocol/json.ts";
import { tempDir } from "../helpers/tools.ts";

test("updateStatus deep-merges into the source's own fragment and stamps updated_at", async (t) => {
  const dir = tempDir(t);
  await updateStatus("timelapse", { status: "capturing", today: { photos_captured: 1, expected_photos: 96 } }, { dir });
  const after = await updateStatus("timelapse", { today: { photos_captured: 2 }, camera: { ok: true } }, { dir });
  assert.deepEqual(after.today, { photos_captured: 2, expected_photos: 96 });
  assert.equal(after.status, "capturing");
  const onDisk = JSON.parse(readFileSync(join(dir, "status.d", "timelapse.json"), "utf8")) as { updated_at: string };
  assert.deepEqual(onDisk, after);
  assert.ok(!Number.isNaN(Date.parse(onDisk.updated_at)), "updated_at is an ISO time");
  assert.deepEqual(
    readdirSync(join(dir, "status.d")).filter((n) => n.startsWith(".")),
    [],
    "no temp file left behind",
  );
});

test("deepMerge: objects merge recursively, arrays and scalars are replaced, inputs untouched", () => {
  const base = { a: { b: 1, c: [1, 2] }, d: "x" };
  const out = deepMerge(base, { a: { c: [3] }, d: { e: 1 } });
  assert.deepEqual(out, { a: { b: 1, c: [3] }, d: { e: 1 } });
  assert.deepEqual(base, { a: { b: 1, c: [1, 2] }, d: "x" });
});

test("writers reject bad source names, bad levels and wrong-typed reserved keys with clear errors", async (t) => {
  const dir = tempDir(t);
  for (const bad of ["../x", "A B", "", "-x", "x".repeat(65), "a/b"]) {
    await assert.rejects(updateStatus(bad, { a: 1 }, { dir }), /source name: expected \[a-z0-9\]/, bad);
  }
  await assert.rejects(
    updateStatus("cam", { status: "running" }, { dir }),
    /reserved key "status": expected one of idle\|/,
  );
  await assert.rejects(
    writeFragment("cam", { updated_at: "yesterday" }, { dir }),
    /"updated_at": expected an ISO 8601/,
  );
  await assert.rejects(
    emitEvent("cam", { level: "fatal" as "error", message: "x" }, { dir }),
    /level: expected one of debug\|info\|warning\|error\|critical, got "fatal"/,
  );
  await assert.rejects(emitEvent("cam", { level: "error", message: "" }, { dir }), /"message": expected a non-empty/);
  await assert.rejects(
    emitEvent("cam", { level: "error", message: "x".repeat(70_000) }, { dir }),
    /over the 64 KiB limit/,
  );
  await assert.rejects(writeFragment("cam", { blob: "x".repeat(1024 * 1024) }, { dir }), /over the 1 MiB limit/);
  // Nothing was written by any of the refused calls.
  assert.deepEqual(await readDeviceStatus({ dir }), { sources: {} });
});

test("an unwritable status dir gives an error naming the path", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "file"), "");
  await assert.rejects(
    updateStatus("cam", { a: 1 }, { dir: join(dir, "file", "sub") }),
    /cannot create status directory .*file/,
  );
});

test("heartbeat bumps the mtime without changing the content, and creates a missing fragment", async (t) => {
  const dir = tempDir(t);
  await heartbeat("recorder", { dir });
  const path = join(dir, "status.d", "recorder.json");
  const first = JSON.parse(readFileSync(path, "utf8"));
  assert.ok(first.updated_at);
  const old = new Date(Date.now() - 60_000);
  await fsp.utimes(path, old, old);
  await heartbeat("recorder", { dir });
  assert.ok(statSync(path).mtimeMs > old.getTime() + 30_000, "mtime moved forward");
  assert.deepEqual(JSON.parse(readFileSync(path, "utf8")), first, "content unchanged");
});

test("emitEvent writes one maildir file in events/new with the documented name and body", async (t) => {
  const dir = tempDir(t);
  const ev = await emitEvent(
    "timelapse",
    { level: "error", message: "capture failed", code: "CAP-001", fields: { attempt: 3 } },
    { dir },
  );
  const names = readdirSync(join(dir, "events", "new"));
  assert.equal(names.length, 1);
  assert.match(names[0] as string, /^\d{13}-\d+-\d{6}-[0-9a-f]{6}\.json$/);
  assert.deepEqual(readdirSync(join(dir, "events", "tmp")), []);
  const body = readFileSync(join(dir, "events", "new", names[0] as string));
  assert.deepEqual(parseEvent(body, 0), ev);
  assert.deepEqual(Object.keys(ev).sort(), ["code", "fields", "level", "message", "source", "time"]);
});

test("event names sort in emission order", async (t) => {
  const dir = tempDir(t);
  for (let i = 0; i < 30; i++) await emitEvent("cam", { level: "info", message: `m${i}` }, { dir });
  const names = readdirSync(join(dir, "events", "new")).sort();
  const messages = names.map((n) => JSON.parse(readFileSync(join(dir, "events", "new", n), "utf8")).message);
  assert.deepEqual(
    messages,
    Array.from({ length: 30 }, (_, i) => `m${i}`),
  );
});

test("parseFragment refuses each kind of bad fragment with its reason", () => {
  const cases: [Buffer, RegExp][] = [
    [Buffer.from("{not json"), /not valid JSON/],
    [Buffer.from("[1,2]"), /expected a JSON object, got a list/],
    [Buffer.from('"hello"'), /expected a JSON object, got/],
    [Buffer.from([0xff, 0xfe, 0x00, 0x7b]), /not UTF-8 text|not valid JSON/],
    [Buffer.from('{"status": 3}'), /reserved key "status"/],
    [Buffer.from('{"updated_at": true}'), /reserved key "updated_at"/],
    [Buffer.alloc(1024 * 1024 + 1, 0x20), /over the 1 MiB limit/],
  ];
  for (const [buf, re] of cases) assert.throws(() => parseFragment(buf, 0), re);
  const ok = parseFragment(Buffer.from('{"a":1}'), 1234);
  assert.equal(ok.updatedAtMs, 1234, "mtime stands in for a missing updated_at");
});

test("readDeviceStatus merges every source; newest updated_at wins for scalars", async (t) => {
  const dir = tempDir(t);
  await writeFragment(
    "scheduler",
    { status: "idle", today: { expected_photos: 96 }, updated_at: "2026-01-01T10:00:00Z" },
    { dir },
  );
  await writeFragment(
    "timelapse",
    { status: "capturing", today: { photos_captured: 5 }, updated_at: "2026-01-01T10:05:00Z" },
    { dir },
  );
  await writeFragment(
    "manager",
    { status: "uploading", device_id: "spoof", updated_at: "2026-01-01T09:00:00Z" },
    { dir },
  );
  const doc = await readDeviceStatus({ dir });
  assert.equal(doc.status, "capturing", "the newest fragment's scalar wins");
  assert.deepEqual(doc.today, { expected_photos: 96, photos_captured: 5 }, "objects merge key by key");
  assert.equal(doc.device_id, undefined, "agent-owned keys are not taken from fragments");
  assert.equal(doc.updated_at, "2026-01-01T10:05:00.000Z");
  assert.deepEqual(Object.keys(doc.sources as object).sort(), ["manager", "scheduler", "timelapse"]);
});

test("a status dir under /proc fails with an error instead of hanging (Node's recursive mkdir loops there)", async (t) => {
  await assert.rejects(
    updateStatus("cam", { a: 1 }, { dir: "/proc/self/nope" }),
    /cannot create status directory \/proc\/self\/nope/,
  );
  await assert.rejects(
    emitEvent("cam", { level: "info", message: "x" }, { dir: "/proc/self/nope" }),
    /cannot write event to \/proc\/self\/nope/,
  );
  t.diagnostic("both calls returned");
});

test("concurrent updateStatus calls in one process lose nothing", async (t) => {
  const dir = tempDir(t);
  await Promise.all(Array.from({ length: 50 }, (_, i) => updateStatus("cam", { counters: { [`k${i}`]: i } }, { dir })));
  const doc = await readDeviceStatus({ dir });
  assert.equal(Object.keys(doc.counters as object).length, 50);
});

test("an empty EDGEWATCH_DIR counts as unset (never a relative ./status.d)", async () => {
  const { statusDir } = await import("../../src/protocol/paths.ts");
  const saved = process.env.EDGEWATCH_DIR;
  process.env.EDGEWATCH_DIR = "";
  try {
    assert.equal(statusDir(), "/run/edgewatch");
  } finally {
    if (saved === undefined) delete process.env.EDGEWATCH_DIR;
    else process.env.EDGEWATCH_DIR = saved;
  }
});
