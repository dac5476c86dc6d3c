import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ledgerSummarySync } from "../../src/jobs/ledger.ts";
import { readTail } from "../../src/lib/jsonl.ts";
import { openRegularFile, readRegularFile, readRegularFileSync } from "../../src/protocol/read-file.ts";
import { tempDir } from "../helpers/tools.ts";

test("readRegularFile: a regular file is read; FIFOs, symlinks, /dev/zero and directories are refused at once", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "ok.json"), "{}");
  execFileSync("mkfifo", [join(dir, "fifo")]);
  symlinkSync("/dev/zero", join(dir, "zero"));
  writeFileSync(join(dir, "outside"), "secret");
  symlinkSync(join(dir, "outside"), join(dir, "link"));
  mkdirSync(join(dir, "dir"));

  assert.equal((await readRegularFile(join(dir, "ok.json"), 10)).buf.toString(), "{}");
  assert.equal(readRegularFileSync(join(dir, "ok.json"), 10).buf.toString(), "{}");
  const cases: [string, RegExp][] = [
    ["fifo", /expected a regular file, got a FIFO/],
    ["zero", /expected a regular file, got a symbolic link/],
    ["link", /expected a regular file, got a symbolic link/],
    ["dir", /expected a regular file, got a directory/],
  ];
  for (const [name, re] of cases) {
    // a FIFO without a writer would block a plain open() forever: this returns at once
    await assert.rejects(readRegularFile(join(dir, name), 1024), { code: "EW_NOT_REGULAR_FILE", message: re });
    assert.throws(() => readRegularFileSync(join(dir, name), 1024), { code: "EW_NOT_REGULAR_FILE", message: re });
    await assert.rejects(openRegularFile(join(dir, name)), { code: "EW_NOT_REGULAR_FILE" });
  }
  await assert.rejects(readRegularFile(join(dir, "missing"), 10), { code: "ENOENT" });
});

test("readRegularFile reads at most limit + 1 bytes and refuses a file over the limit", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "big"), "x".repeat(101));
  writeFileSync(join(dir, "exact"), "x".repeat(100));
  await assert.rejects(readRegularFile(join(dir, "big"), 100), {
    code: "EW_FILE_TOO_BIG",
    message: /expected at most 100 bytes, got 101/,
  });
  assert.equal((await readRegularFile(join(dir, "exact"), 100)).buf.length, 100);
});

test("ledgers: a FIFO or a symlink where a ledger should be is refused, never read or waited on", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "jobs"), { recursive: true });
  execFileSync("mkfifo", [join(dir, "jobs", "ledger.jsonl")]);
  // the summary starts from nothing rather than blocking the agent's start
  assert.equal(ledgerSummarySync(join(dir, "jobs")).successes.size, 0);
  symlinkSync("/dev/zero", join(dir, "verified.jsonl"));
  await assert.rejects(readTail(join(dir, "verified.jsonl"), 10), { code: "EW_NOT_REGULAR_FILE" });
});
