import assert from "node:assert/strict";
import { closeSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { lineLevel, tailFile } from "../../../src/agent/files/logs.ts";
import { tempDir } from "../../helpers/tools.ts";
import { get, startTestAgent } from "./helpers.ts";

test("lineLevel reads Python logging, syslog/journal and JSON lines", () => {
  const cases: [string, string | null][] = [
    ["2026-02-08 14:23:45,123 - timelapse - ERROR - capture failed", "error"],
    ["2026-02-08 14:23:45,123 - timelapse - WARNING - disk at 85%", "warning"],
    ["ERROR:root:camera timeout", "error"],
    ["CRITICAL:scheduler:no schedule", "critical"],
    ["[2026-02-08 14:23:45] INFO capture ok", "info"],
    ["<3>Feb  8 14:23:45 pi timelapse[812]: capture failed", "error"],
    ["<14>1 2026-02-08T14:23:45Z pi app - - - hello", "info"],
    ["Feb  8 14:23:45 pi kernel: [ 12.3] mmc0: error -110 whilst initialising SD card", "error"],
    ["Feb  8 14:23:45 pi systemd[1]: warning: unit restarted", "warning"],
    ['{"level":"error","msg":"x"}', "error"],
    ['{"levelname":"WARNING","message":"x"}', "warning"],
    ['{"level":50,"msg":"pino error"}', "error"],
    ['{"PRIORITY":"2","MESSAGE":"journal crit"}', "critical"],
    ['{"severity":"INFO"}', "info"],
    ["just a line with information inside", null],
    ["ERRORS were not counted", null],
  ];
  for (const [line, want] of cases) assert.equal(lineLevel(line), want, line);
  assert.equal(lineLevel("ERROR:root:x", "plain"), null);
  assert.equal(
    lineLevel("app: error: lowercase", "python"),
    null,
    "python format wants Python's upper-case level names",
  );
  assert.equal(lineLevel("<3>app: started", "syslog"), "error");
  assert.equal(lineLevel("not json ERROR", "json"), null);
});

test("tailFile returns the last N lines oldest first, across 64 KiB chunk boundaries, with CRLF and no final newline", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "app.log");
  const lines = Array.from(
    { length: 20_000 },
    (_, i) => `2026-02-08 14:00:00,000 - app - ${i % 7 === 0 ? "ERROR" : "INFO"} - line ${i}`,
  );
  writeFileSync(path, `${lines.join("\r\n")}`);
  const last = await tailFile(path, { lines: 5 });
  assert.deepEqual(
    last.lines.map((l) => l.text),
    lines.slice(-5),
  );
  const errors = await tailFile(path, { lines: 3000, filter: (_t, l) => l === "error" });
  const want = lines.filter((l) => l.includes("ERROR")).slice(-3000);
  assert.equal(errors.lines.length, want.length);
  assert.deepEqual(
    errors.lines.map((l) => l.text),
    want,
  );
  assert.equal(errors.partial, false);
});

test("tailFile is bounded on a 1 GiB log: stops after maxScanBytes, cuts long lines", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "huge.log");
  const fd = openSync(path, "w");
  writeSync(fd, Buffer.from("ERROR first line, a gigabyte ago\n"), 0, 33, 0);
  const tail = Buffer.from(`INFO tail one\n${"x".repeat(100_000)}\nINFO last\n`);
  writeSync(fd, tail, 0, tail.length, 1024 ** 3 - tail.length); // sparse gigabyte of NULs in between
  closeSync(fd);
  const r = await tailFile(path, { lines: 10, filter: (_t, l) => l === "error", maxScanBytes: 4 * 1024 * 1024 });
  assert.equal(r.lines.length, 0, "the ERROR line is a gigabyte back: not reached");
  assert.equal(r.partial, true);
  assert.ok(r.scannedBytes <= 4 * 1024 * 1024 + 64 * 1024, `scanned ${r.scannedBytes}`);
  const last = await tailFile(path, { lines: 2, maxLineBytes: 1000 });
  assert.equal(last.lines[1]?.text, "INFO last");
  assert.equal(last.lines[0]?.truncated, true);
  assert.equal(last.lines[0]?.text.length, 1000);
});

test("/logs and /api/logs/recent read configured logs with level and type filters", async (t) => {
  const dir = tempDir(t);
  const app = join(dir, "timelapse.log");
  const sys = join(dir, "syslog");
  writeFileSync(
    app,
    [
      "2026-02-08 14:00:00,000 - timelapse - INFO - capture ok 0001.jpg",
      "2026-02-08 14:00:30,000 - timelapse - ERROR - camera timeout after 10 s",
      "2026-02-08 14:01:00,000 - timelapse - WARNING - slow capture",
      "2026-02-08 14:01:30,000 - manager - ERROR - rsync to NAS failed",
      "",
    ].join("\n"),
  );
  writeFileSync(sys, '{"level":"critical","msg":"under-voltage detected"}\n{"level":"info","msg":"boot"}\n');
  const a = await startTestAgent(t, {
    files: {
      logs: [
        { path: app, name: "timelapse" },
        { path: sys, format: "json" },
      ],
    },
  });
  const r = await get(`${a.url}/logs?lines=50&level=error`);
  assert.equal(r.status, 200, r.body);
  const body = r.json<{ files: { name: string; lines: { text: string; level: string }[] }[] }>();
  assert.deepEqual(
    body.files.map((f) => [f.name, f.lines.map((l) => l.level)]),
    [
      ["timelapse", ["error", "error"]],
      ["syslog", ["critical"]],
    ],
  );
  const one = await get(`${a.url}/logs?lines=1&file=timelapse`);
  const oneBody = one.json<{ files: { lines: { text: string }[] }[] }>();
  assert.equal(oneBody.files.length, 1);
  assert.match(oneBody.files[0]?.lines[0]?.text ?? "", /rsync to NAS failed/);

  const cam = (await get(`${a.url}/api/logs/recent?type=camera&limit=10`)).json<{ entries: { text: string }[] }>();
  assert.deepEqual(
    cam.entries.map((e) => e.text.replace(/^.* - /, "")),
    ["capture ok 0001.jpg", "camera timeout after 10 s", "slow capture"],
  );
  const errs = (await get(`${a.url}/api/logs/recent?type=errors&limit=2`)).json<{
    count: number;
    entries: { file: string }[];
  }>();
  assert.equal(errs.count, 2);
  assert.deepEqual(
    errs.entries.map((e) => e.file),
    ["timelapse", "syslog"],
  );
});
