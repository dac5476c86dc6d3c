import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { emitEvent, updateStatus } from "../../src/index.ts";
import type { DeviceEvent } from "../../src/protocol/events.ts";
import { type ReaderWarning, StatusReader } from "../../src/protocol/reader.ts";
import { tempDir, waitFor } from "../helpers/tools.ts";

function startReader(
  t: TestContext,
  dir: string,
  extra: { legacyStatusFile?: string; failEvents?: () => boolean } = {},
) {
  const events: DeviceEvent[] = [];
  const warnings: ReaderWarning[] = [];
  let changes = 0;
  const reader = new StatusReader({
    dir,
    ...(extra.legacyStatusFile ? { legacyStatusFile: extra.legacyStatusFile } : {}),
    onEvent: (ev) => {
      if (extra.failEvents?.()) throw new Error("outbox disk full");
      events.push(ev);
    },
    onWarning: (w) => warnings.push(w),
    onChange: () => changes++,
  });
  t.after(() => reader.stop());
  return { reader, events, warnings, changes: () => changes };
}

test("the reader follows fragment changes through inotify and keeps a merged document", async (t) => {
  const dir = tempDir(t);
  const { reader } = startReader(t, dir);
  await reader.start();
  await updateStatus("timelapse", { status: "capturing", today: { photos_captured: 1 } }, { dir });
  await waitFor(
    "first fragment",
    () => (reader.document().today as { photos_captured?: number })?.photos_captured === 1,
  );
  await updateStatus("timelapse", { today: { photos_captured: 2 } }, { dir });
  await waitFor("update", () => (reader.document().today as { photos_captured?: number })?.photos_captured === 2);
  assert.ok(reader.heartbeats().get("timelapse"), "the fragment's mtime is the source's heartbeat");
});

test("bad fragments: one clear warning each (source + reason), last good state kept, nothing crashes", async (t) => {
  const dir = tempDir(t);
  const { reader, warnings } = startReader(t, dir);
  await updateStatus("cam", { status: "capturing", n: 1 }, { dir });
  await reader.start();
  assert.equal(reader.document().n, 1);
  const frag = join(dir, "status.d", "cam.json");
  const bad: [string | Buffer, RegExp][] = [
    ["{not json", /not valid JSON/],
    ["[1,2,3]", /expected a JSON object, got a list/],
    [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /not UTF-8 text|not valid JSON/],
    ['{"status": 42}', /reserved key "status"/],
    [`{"big": "${"x".repeat(1024 * 1024)}"}`, /over the 1 MiB limit/],
  ];
  for (const [content, re] of bad) {
    const before = warnings.length;
    writeFileSync(frag, content);
    await waitFor(`warning ${re}`, () => warnings.length > before);
    await reader.settle();
    const w = warnings.at(-1) as ReaderWarning;
    assert.equal(w.source, "cam");
    assert.match(w.reason, re);
    assert.match(w.reason, /keeping the last good/);
    assert.equal(reader.document().n, 1, "last good state kept");
  }
  // The same problem twice warns once.
  const before = warnings.length;
  writeFileSync(frag, "[1,2,3]");
  await reader.settle();
  writeFileSync(frag, "[1,2,3]");
  await new Promise((r) => setTimeout(r, 100));
  await reader.settle();
  assert.ok(warnings.length <= before + 1, "a repeated problem warns once");
  // Recovery: a good fragment replaces the last good one.
  await updateStatus("cam", { n: 2 }, { dir });
  await waitFor("recovered", () => reader.document().n === 2);
});

test("bad source names in status.d are ignored with a warning", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "status.d"), { recursive: true });
  writeFileSync(join(dir, "status.d", "A B.json"), '{"x":1}');
  writeFileSync(join(dir, "status.d", "notes.txt"), "hi");
  writeFileSync(join(dir, "status.d", ".cam.json.123.abc.tmp"), '{"torn": ');
  const { reader, warnings } = startReader(t, dir);
  await reader.start();
  assert.deepEqual(reader.document(), { sources: {} });
  assert.ok(warnings.some((w) => w.source === "A B" && /source name must match/.test(w.reason)));
  assert.ok(warnings.some((w) => w.source === "notes.txt" && /expected files named <source>\.json/.test(w.reason)));
  assert.ok(!warnings.some((w) => w.source.startsWith(".")), "writers' temp files are not even warned about");
});

test("events are handed on in order, then removed; bad ones go to events/bad with a warning", async (t) => {
  const dir = tempDir(t);
  const { reader, events, warnings } = startReader(t, dir);
  await reader.start();
  await emitEvent("cam", { level: "error", message: "one", code: "CAP-001" }, { dir });
  await emitEvent("cam", { level: "info", message: "two" }, { dir });
  writeFileSync(join(dir, "events", "new", "0000000000001-1-000001-aaaaaa.json"), "{oops");
  writeFileSync(join(dir, "events", "new", "0000000000002-1-000001-bbbbbb.json"), JSON.stringify({ level: "error" }));
  writeFileSync(
    join(dir, "events", "new", "0000000000003-1-000001-cccccc.json"),
    JSON.stringify({ level: "error", source: "cam", message: "x".repeat(70 * 1024) }),
  );
  await waitFor("events drained", async () => {
    await reader.settle();
    return events.length === 2 && readdirSync(join(dir, "events", "new")).length === 0;
  });
  assert.deepEqual(
    events.map((e) => e.message),
    ["one", "two"],
  );
  assert.equal(events[0]?.code, "CAP-001");
  assert.equal(readdirSync(join(dir, "events", "bad")).length, 3);
  const reasons = warnings.filter((w) => w.source.startsWith("events/")).map((w) => w.reason);
  assert.ok(reasons.some((r) => /not valid JSON/.test(r)));
  assert.ok(reasons.some((r) => /"message": expected a non-empty string|"source"/.test(r)));
  assert.ok(reasons.some((r) => /over the 64 KiB limit/.test(r)));
  assert.ok(reasons.every((r) => /moved to events\/bad/.test(r)));
});

test("an event whose hand-off fails stays in the maildir and is retried, never lost", async (t) => {
  const dir = tempDir(t);
  let failing = true;
  const { reader, events, warnings } = startReader(t, dir, { failEvents: () => failing });
  await reader.start();
  await emitEvent("cam", { level: "error", message: "keep me" }, { dir });
  await waitFor("hand-off failure warning", () => warnings.some((w) => /will retry/.test(w.reason)));
  assert.equal(readdirSync(join(dir, "events", "new")).length, 1, "file kept while the hand-off fails");
  failing = false;
  await waitFor("retried delivery", () => events.length === 1, 15_000);
  await waitFor("file removed", () => readdirSync(join(dir, "events", "new")).length === 0);
  assert.equal(events[0]?.message, "keep me");
});

test("legacy status file: read as source `legacy`, its errors[] become events exactly once, across restarts", async (t) => {
  const dir = tempDir(t);
  const legacy = join(tempDir(t), "timelapse_status.json");
  writeFileSync(
    legacy,
    JSON.stringify({
      status: "capturing",
      today: { photos_captured: 7 },
      errors: [{ time: "2026-01-01T10:00:00", message: "camera timeout" }, "disk slow"],
    }),
  );
  const a = startReader(t, dir, { legacyStatusFile: legacy });
  await a.reader.start();
  assert.equal((a.reader.document().today as { photos_captured: number }).photos_captured, 7);
  assert.deepEqual(
    a.events.map((e) => [e.source, e.level, e.message]),
    [
      ["legacy", "error", "camera timeout"],
      ["legacy", "error", "disk slow"],
    ],
  );
  // The C++ program rewrites the file with one more error: only the new one becomes an event.
  writeFileSync(
    legacy,
    JSON.stringify({
      status: "capturing",
      today: { photos_captured: 8 },
      errors: [{ time: "2026-01-01T10:00:00", message: "camera timeout" }, "disk slow", "usb reset"],
    }),
  );
  await waitFor("third legacy error", () => a.events.length === 3);
  a.reader.stop();
  // A restarted agent does not repeat them.
  const b = startReader(t, dir, { legacyStatusFile: legacy });
  await b.reader.start();
  await b.reader.settle();
  assert.equal(b.events.length, 0);
  assert.ok(existsSync(join(dir, "legacy-errors-seen.json")));
});
