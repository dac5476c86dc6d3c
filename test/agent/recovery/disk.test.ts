import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  existsSync,
  lutimesSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { diskUsage } from "../../../src/agent/recovery/disk.ts";
import { TransferLedger, type VerifiedFile } from "../../../src/jobs/transfer-ledger.ts";
import { parseJsonLines } from "../../../src/lib/jsonl.ts";
import { requireTool, tempDir, waitFor } from "../../helpers/tools.ts";
import { readSteps, startRecovery } from "./harness.ts";

const KIB = 1024;

/** A 2 MiB tmpfs the test mounts (root only), unmounted afterwards. */
function smallDisk(t: TestContext): string | null {
  if (!requireTool(t, "mount")) return null;
  if (process.getuid?.() !== 0) {
    if (process.env.CI === "true")
      throw new Error("CI=true: the disk safeguard test must run as root to mount a tmpfs");
    t.skip("needs root to mount a tmpfs");
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), "ew-disk-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", dir]);
  t.after(() => {
    try {
      execFileSync("umount", [dir]);
    } catch {
      execFileSync("umount", ["-l", dir]);
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

interface Fill {
  photos: string;
  outside: string;
  verified: string[]; // eligible, oldest first
  unverified: string[];
  mismatched: string;
  newest: string[];
  outsideFiles: string[];
  ledger: string;
}

/** Fills the disk to ~90 %: verified, unverified, modified-after-verification, newest, and symlinks to outside. */
function fill(t: TestContext, disk: string, stateDir: string): Fill {
  const photos = join(disk, "photos");
  mkdirSync(join(photos, "sub"), { recursive: true });
  const outside = tempDir(t, "ew-outside-");
  const base = Date.now() / 1000 - 86_400;
  const ledgerLines: string[] = [];
  const write = (path: string, size: number, minute: number, verified: boolean | "stale") => {
    writeFileSync(path, Buffer.alloc(size, 7));
    utimesSync(path, base + minute * 60, base + minute * 60);
    const st = statSync(path);
    if (verified) {
      ledgerLines.push(
        JSON.stringify({
          path,
          size: verified === "stale" ? st.size - 1 : st.size,
          mtime_ms: st.mtimeMs,
          sha256: "0".repeat(64),
          dest: "backup:/photos",
          verified_at: new Date().toISOString(),
        }),
      );
    }
  };
  const unverified = [0, 1, 2].map((i) => join(photos, `u${i}.jpg`));
  // the very oldest: must survive anyway
  unverified.forEach((p, i) => {
    write(p, 120 * KIB, i, false);
  });
  const mismatched = join(photos, "m.jpg");
  write(mismatched, 120 * KIB, 3, "stale"); // changed since it was verified
  const verified = [join(photos, "sub", "v00.jpg")];
  write(verified[0] as string, 120 * KIB, 4, true);
  for (let i = 1; i <= 10; i++) {
    const p = join(photos, `v${String(i).padStart(2, "0")}.jpg`);
    write(p, 120 * KIB, 10 + i, true);
    verified.push(p);
  }
  const newest = [join(photos, "new1.jpg"), join(photos, "new2.jpg")];
  newest.forEach((p, i) => {
    write(p, 20 * KIB, 100 + i, true);
  });
  // Symlinks pointing outside, older than everything, and "verified" in the ledger through the link.
  const outsideFiles = [join(outside, "precious.jpg"), join(outside, "dir", "precious2.jpg")];
  mkdirSync(join(outside, "dir"));
  for (const p of outsideFiles) {
    writeFileSync(p, Buffer.alloc(50 * KIB, 1));
    utimesSync(p, base - 600, base - 600);
  }
  symlinkSync(outsideFiles[0] as string, join(photos, "link.jpg"));
  lutimesSync(join(photos, "link.jpg"), base - 600, base - 600);
  symlinkSync(join(outside, "dir"), join(photos, "linkdir"));
  for (const p of [join(photos, "link.jpg"), join(photos, "linkdir", "precious2.jpg")]) {
    const st = statSync(p);
    ledgerLines.push(
      JSON.stringify({
        path: p,
        size: st.size,
        mtime_ms: st.mtimeMs,
        sha256: "0".repeat(64),
        dest: "x",
        verified_at: "2026-01-01T00:00:00Z",
      }),
    );
  }
  const ledger = join(stateDir, "transfers", "verified.jsonl");
  mkdirSync(join(stateDir, "transfers"), { recursive: true });
  writeFileSync(ledger, `${ledgerLines.join("\n")}\n{"torn line\n`);
  return { photos, outside, verified, unverified, mismatched, newest, outsideFiles, ledger };
}

function cfg(root: string, disk: string, dryRun: boolean) {
  return {
    status_dir: join(root, "run"),
    state_dir: join(root, "state"),
    recovery: {
      sd_notify: false,
      disk: {
        // `..` in the configured path is resolved (realpath) before anything is compared
        paths: [join(disk, "photos", "sub", "..")],
        critical_percent: 80,
        target_percent: 50,
        keep_newest: 2,
        verified_only: true,
        dry_run: dryRun,
      },
    },
  };
}

test("disk safeguard on a full 2 MiB tmpfs: frees space, only verified old files go, never outside", {
  timeout: 60_000,
}, async (t) => {
  const disk = smallDisk(t);
  if (!disk) return;
  const root = tempDir(t, "ew-dsk-");
  const f = fill(t, disk, join(root, "state"));
  const before = await diskUsage(disk);
  assert.ok(before.usedPercent >= 80, `the test filled the disk (${before.usedPercent.toFixed(1)} %)`);

  const h = await startRecovery(t, cfg(root, disk, false));
  const log0 = join(root, "state", "recovery", "recovery.log");
  await waitFor("the cleanup", () => readSteps(log0).some((e) => e.step === "disk_cleanup"));
  await h.stop();
  const after = await diskUsage(disk);
  assert.ok(after.usedPercent < 50, `below target after cleanup: ${after.usedPercent.toFixed(1)} %`);

  const gone = f.verified.filter((p) => !existsSync(p));
  assert.ok(gone.length > 0);
  assert.deepEqual(gone, f.verified.slice(0, gone.length), "oldest verified files went first, in order");
  assert.ok(existsSync(f.verified[gone.length] as string), "deletion stopped once below target");
  for (const p of [...f.unverified, f.mismatched, ...f.newest, ...f.outsideFiles])
    assert.ok(existsSync(p), `kept ${p}`);
  assert.ok(
    existsSync(join(f.photos, "link.jpg")) && existsSync(join(f.photos, "linkdir")),
    "symlinks themselves untouched",
  );

  const log = readSteps(join(root, "state", "recovery", "recovery.log"));
  const deletions = log.filter((e) => e.step === "disk_delete").map((e) => e.path);
  assert.deepEqual(deletions, gone, "every deletion is logged");
  const summary = log.find((e) => e.step === "disk_cleanup");
  assert.equal(summary?.skipped_unverified, 4, "3 unverified + 1 changed since verification");
  assert.equal(summary?.skipped_newest, 2);
  const files = h.mod.metrics().find((m) => m.name === "edgewatch_disk_safeguard_deleted_files_total");
  assert.deepEqual(files?.samples, [{ value: gone.length }]);
});

test("disk safeguard dry run: logs what it would delete, deletes nothing", { timeout: 60_000 }, async (t) => {
  const disk = smallDisk(t);
  if (!disk) return;
  const root = tempDir(t, "ew-dsk-");
  const f = fill(t, disk, join(root, "state"));
  const before = await diskUsage(disk);
  const h = await startRecovery(t, cfg(root, disk, true));
  const log0 = join(root, "state", "recovery", "recovery.log");
  await waitFor("the dry run", () => readSteps(log0).some((e) => e.step === "disk_cleanup_dry_run"));
  await h.stop();
  const after = await diskUsage(disk);
  assert.equal(after.availBytes, before.availBytes, "nothing was deleted");
  for (const p of f.verified) assert.ok(existsSync(p));
  const log = readSteps(join(root, "state", "recovery", "recovery.log"));
  const would = log.filter((e) => e.step === "disk_would_delete").map((e) => e.path);
  assert.ok(would.length > 0);
  assert.deepEqual(would, f.verified.slice(0, would.length));
  assert.ok(log.some((e) => e.step === "disk_cleanup_dry_run"));
});

test("disk safeguard: an unverified-only folder is never cleaned; the shortfall is alerted", {
  timeout: 60_000,
}, async (t) => {
  const disk = smallDisk(t);
  if (!disk) return;
  const root = tempDir(t, "ew-dsk-");
  const f = fill(t, disk, join(root, "state"));
  writeFileSync(f.ledger, ""); // nothing verified at all
  const h = await startRecovery(t, cfg(root, disk, false));
  await waitFor("the alert", () => h.agent.state.alerts.get("recovery:disk"));
  await h.stop();
  for (const p of [...f.verified, ...f.unverified]) assert.ok(existsSync(p), `kept ${p}`);
  const alert = h.agent.state.alerts.get("recovery:disk");
  assert.equal(alert?.state, "firing");
  assert.equal(alert?.severity, "critical");
  assert.match(alert?.summary ?? "", /after deleting every eligible file .* unverified/);
});

test("disk safeguard: writes into a watched folder trigger the check (no waiting for the backstop timer)", {
  timeout: 60_000,
}, async (t) => {
  const disk = smallDisk(t);
  if (!disk) return;
  const root = tempDir(t, "ew-dsk-");
  const photos = join(disk, "photos");
  mkdirSync(photos);
  const c = cfg(root, disk, false);
  Object.assign(c.recovery.disk, { verified_only: false, keep_newest: 1, check_every: "1h" });
  const h = await startRecovery(t, c);
  assert.ok((await diskUsage(disk)).usedPercent < 80);
  const files: string[] = [];
  for (let i = 0; i < 15; i++) {
    const p = join(photos, `img${String(i).padStart(2, "0")}.jpg`);
    writeFileSync(p, Buffer.alloc(120 * KIB, 1));
    utimesSync(p, Date.now() / 1000 - 1000 + i, Date.now() / 1000 - 1000 + i);
    files.push(p);
  }
  const log = join(root, "state", "recovery", "recovery.log");
  await waitFor("a cleanup", () => readSteps(log).some((e) => e.step === "disk_cleanup"), 30_000);
  await h.stop();
  assert.ok((await diskUsage(disk)).usedPercent < 50);
  assert.equal(existsSync(files[0] as string), false, "the oldest file went");
  assert.ok(existsSync(files[14] as string), "the newest file stays");
});

test("disk safeguard: an unreadable ledger means nothing is deleted, with a warning saying why", {
  timeout: 60_000,
}, async (t) => {
  const disk = smallDisk(t);
  if (!disk) return;
  const root = tempDir(t, "ew-dsk-");
  const f = fill(t, disk, join(root, "state"));
  const c = cfg(root, disk, false);
  Object.assign(c.recovery.disk, { ledger: join(root, "state") }); // a folder, not a file
  const h = await startRecovery(t, c);
  await waitFor("the warning", () =>
    h.warnings.find((w) =>
      /disk safeguard: check failed, nothing deleted: .*expected a regular file, got a directory/.test(w),
    ),
  );
  await h.stop();
  for (const p of f.verified) assert.ok(existsSync(p), `kept ${p}`);
});

test("disk safeguard: files verified before the transfer ledger rotated (now in verified.jsonl.1) are freed", {
  timeout: 60_000,
}, async (t) => {
  const disk = smallDisk(t);
  if (!disk) return;
  const root = tempDir(t, "ew-dsk-");
  const f = fill(t, disk, join(root, "state"));
  const records = parseJsonLines(readFileSync(f.ledger, "utf8")) as unknown as VerifiedFile[];
  rmSync(f.ledger);
  // The real ledger writer, with a tiny size limit: the second batch rotates the first into `.1`.
  const ledger = new TransferLedger(join(root, "state"), 1);
  assert.equal(ledger.path, f.ledger);
  await ledger.recordAll(records);
  await ledger.recordAll([{ ...(records[0] as VerifiedFile), path: join(root, "elsewhere.jpg") }]);
  assert.ok(existsSync(`${f.ledger}.1`), "the ledger rotated");
  assert.ok(!readFileSync(f.ledger, "utf8").includes(f.verified[0] as string), "the verified files are only in .1");

  const h = await startRecovery(t, cfg(root, disk, false));
  const log0 = join(root, "state", "recovery", "recovery.log");
  await waitFor("the cleanup", () => readSteps(log0).some((e) => e.step === "disk_cleanup"));
  await h.stop();
  const gone = f.verified.filter((p) => !existsSync(p));
  assert.ok(gone.length > 0, "verified files listed in the rotated ledger were deleted");
  assert.deepEqual(gone, f.verified.slice(0, gone.length), "oldest verified files went first");
  for (const p of [...f.unverified, f.mismatched, ...f.newest]) assert.ok(existsSync(p), `kept ${p}`);
  assert.ok((await diskUsage(disk)).usedPercent < 50);
});
