import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseItemized } from "../../src/jobs/transfer.ts";
import { get, startTestAgent } from "../agent/core/helpers.ts";
import { requireTool, tempDir, waitFor } from "../helpers/tools.ts";
import { ew, ewAsync, readJsonLines } from "./helpers.ts";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

function makeSource(dir: string, files: Record<string, number>): Map<string, Buffer> {
  mkdirSync(dir, { recursive: true });
  const out = new Map<string, Buffer>();
  for (const [name, size] of Object.entries(files)) {
    const data = randomBytes(size);
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), data);
    out.set(name, data);
  }
  return out;
}

/** Direct children of `pid` whose command is `comm` (from /proc). */
function childrenNamed(pid: number, comm: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid && name === comm) out.push(Number(p));
    } catch {
      // process gone
    }
  }
  return out;
}

test("rsync killed half way: no source lost, the retry completes, only then are sources deleted", async (t) => {
  if (!requireTool(t, "rsync")) return;
  const agent = await startTestAgent(t);
  const src = join(agent.dir, "photos");
  const dest = join(agent.dir, "backup");
  const files = makeSource(src, {
    "a1.jpg": 20_000,
    "a2.jpg": 20_000,
    "day/a3.jpg": 20_000,
    "zz-video.mp4": 4 * 1024 * 1024,
  });
  const run = ewAsync([
    "transfer",
    src,
    dest,
    "--delete-source",
    "--retries",
    "1",
    "--backoff",
    "3s",
    "--bwlimit",
    "400",
    "--dir",
    agent.statusDir,
    "--state-dir",
    agent.stateDir,
  ]);
  t.after(() => run.child.kill("SIGKILL"));
  // the big file is being written (rsync's temp file .zz-video.mp4.XXXXXX) when we kill rsync
  await waitFor(
    "rsync half way through the big file",
    () =>
      existsSync(dest) &&
      readdirSync(dest).some((n) => n.startsWith(".zz-video.mp4.") && statSync(join(dest, n)).size > 0),
    60_000,
  );
  const rsyncs = childrenNamed(run.child.pid as number, "rsync");
  assert.ok(rsyncs.length > 0, "found the transfer's rsync");
  for (const pid of rsyncs) process.kill(pid, "SIGKILL");

  const frag = join(agent.statusDir, "status.d", "transfer-default.json");
  await waitFor(
    "the transfer to record the broken attempt and wait to retry",
    () => existsSync(frag) && JSON.parse(readFileSync(frag, "utf8")).transfers.default.last_status === "retrying",
    60_000,
  );
  for (const name of files.keys())
    assert.ok(existsSync(join(src, name)), `${name} still in the source after the break`);
  const status = JSON.parse(readFileSync(frag, "utf8")).transfers.default;
  assert.match(status.last_error, /rsync was killed by SIGKILL/);
  assert.equal(status.deleted, 0);
  const ledgerPath = join(agent.stateDir, "transfers", "verified.jsonl");
  assert.ok(
    !readJsonLines(ledgerPath).some((v) => String(v.path).endsWith("zz-video.mp4")),
    "the half-copied file is not in the verified ledger",
  );

  const res = await run.done;
  assert.equal(res.code, 0, res.err);
  assert.match(
    res.out,
    /success: 4 files, \d+ bytes, 4 verified, 0 not verified, 4 source files deleted, 2 attempts/,
    `stdout: ${res.out}\nstderr: ${res.err}`,
  );
  assert.match(res.err, /attempt 1\/2 failed: rsync was killed by SIGKILL.*; retrying in \d+s/);
  for (const [name, data] of files) {
    assert.ok(!existsSync(join(src, name)), `${name} deleted from the source after verification`);
    assert.equal(sha(readFileSync(join(dest, name))), sha(data), `${name} arrived intact`);
  }
  const ledger = readJsonLines(ledgerPath);
  for (const [name, data] of files) {
    const rec = ledger.filter((v) => v.path === join(src, name)).pop();
    assert.ok(rec, `${name} is in the verified ledger`);
    assert.equal(rec.sha256, sha(data));
    assert.equal(rec.size, data.length);
    assert.equal(rec.dest, join(dest, name));
    assert.equal(typeof rec.mtime_ms, "number");
    assert.ok(Date.parse(rec.verified_at as string) > 0);
  }

  await waitFor(
    "the agent shows the transfer",
    async () => {
      const s = (await get(`${agent.url}/admin/transfer-status`)).json<{
        transfers: Record<string, Record<string, unknown>>;
        recent_verified: unknown[];
      }>();
      return s.transfers.default?.last_status === "success" && s.recent_verified.length >= 4;
    },
    30_000,
  );
  const metrics = (await get(`${agent.url}/metrics`)).body;
  assert.match(metrics, /edgewatch_transfer_files_total\{[^}]*result="deleted"[^}]*\} 4\n/);
  assert.match(metrics, /edgewatch_transfer_bytes_total(\{[^}]*\})? \d+\n/);
});

test("a destination file corrupted with the same size and mtime is caught by verification and replaced before any delete", (t) => {
  if (!requireTool(t, "rsync")) return;
  const dir = tempDir(t);
  const src = join(dir, "src");
  const dest = join(dir, "dest");
  const files = makeSource(src, { "a.jpg": 50_000, "b.jpg": 50_000, "c.jpg": 50_000 });
  const dirs = ["--dir", join(dir, "status"), "--state-dir", join(dir, "state")];
  assert.equal(ew(["transfer", src, dest, "--retries", "0", ...dirs]).code, 0);

  // corrupt b.jpg in place: same size, same mtime
  const target = join(dest, "b.jpg");
  const st = statSync(target);
  const bad = Buffer.from(files.get("b.jpg") as Buffer);
  bad[1000] = (bad[1000] as number) ^ 0xff;
  writeFileSync(target, bad);
  utimesSync(target, st.atime, st.mtime);
  assert.equal(statSync(target).size, st.size);
  const quick = execFileSync("rsync", ["-a", "--dry-run", "--itemize-changes", `${src}/`, `${dest}/`], {
    encoding: "utf8",
  });
  assert.equal(parseItemized(quick).size, 0, "rsync's quick check does not see the corruption");
  const deep = execFileSync("rsync", ["-a", "--checksum", "--dry-run", "--itemize-changes", `${src}/`, `${dest}/`], {
    encoding: "utf8",
  });
  assert.deepEqual([...parseItemized(deep)], ["b.jpg"], "the remote verifier's parse of real rsync --checksum output");

  const once = ew(["transfer", src, dest, "--delete-source", "--retries", "0", ...dirs]);
  assert.equal(once.code, 1, once.out);
  assert.match(once.err, /1 file did not verify \(first: b\.jpg\); giving up \(no source file was deleted\)/);
  for (const name of files.keys()) assert.ok(existsSync(join(src, name)), `${name} kept: the transfer did not verify`);

  const retried = ew(["transfer", src, dest, "--delete-source", "--retries", "1", "--backoff", "100ms", ...dirs]);
  assert.equal(retried.code, 0, retried.err);
  assert.match(retried.err, /attempt 1\/2 failed: 1 file did not verify \(first: b\.jpg\)/);
  assert.equal(
    sha(readFileSync(target)),
    sha(files.get("b.jpg") as Buffer),
    "the retry (rsync --checksum) replaced it",
  );
  for (const name of files.keys()) assert.ok(!existsSync(join(src, name)), `${name} deleted once verified`);
});

test("unreachable or unwritable destinations and bad arguments: clear messages, non-zero exits, sources untouched", (t) => {
  if (!requireTool(t, "rsync")) return;
  const dir = tempDir(t);
  const src = join(dir, "src");
  makeSource(src, { "a.jpg": 1000 });
  const dirs = ["--dir", join(dir, "status"), "--state-dir", join(dir, "state")];

  const remote = ew([
    "transfer",
    src,
    "backup@nosuch.invalid:/srv/photos",
    "--delete-source",
    "--retries",
    "1",
    "--backoff",
    "100ms",
    ...dirs,
  ]);
  assert.equal(remote.code, 1);
  // rsync reports ssh's failure as 255, or as 12 when it notices the closed stream first (seen under load)
  const failure = /rsync exited with (255|12): (.*)/.exec(remote.err);
  assert.ok(failure, remote.err);
  if (failure[1] === "255") assert.match(failure[2] ?? "", /ssh: Could not resolve hostname nosuch\.invalid/);
  assert.match(
    remote.err,
    /failed: 1 files, 1000 bytes, 0 verified, 1 not verified, 0 source files deleted, 2 attempts/,
  );
  assert.ok(existsSync(join(src, "a.jpg")));
  const frag = JSON.parse(readFileSync(join(dir, "status", "status.d", "transfer-default.json"), "utf8"));
  assert.equal(frag.transfers.default.last_status, "failed");
  const events = readdirSync(join(dir, "status", "events", "new")).map((f) =>
    JSON.parse(readFileSync(join(dir, "status", "events", "new", f), "utf8")),
  );
  assert.ok(
    events.some((e) => e.level === "error" && e.code === "XFER-FAIL"),
    "an error event for the failed transfer",
  );

  const local = ew(["transfer", src, "/proc/self/nope/dest", "--delete-source", "--retries", "0", ...dirs]);
  assert.equal(local.code, 1);
  assert.match(local.err, /rsync exited with \d+: rsync: \[Receiver\] mkdir "\/proc\/self\/nope\/dest" failed/);
  assert.ok(existsSync(join(src, "a.jpg")));

  const missing = ew(["transfer", join(dir, "nope"), join(dir, "d"), ...dirs]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /source .*nope: ENOENT: no such file or directory/);

  const one = ew(["transfer", src]);
  assert.equal(one.code, 2);
  assert.match(one.err, /expected SRC and DEST, got 1 argument/);
  const unknown = ew(["transfer", src, join(dir, "d"), "--delete-sources"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /Unknown option '--delete-sources'/);
  const badRetries = ew(["transfer", src, join(dir, "d"), "--retries", "many"]);
  assert.equal(badRetries.code, 2);
  assert.match(badRetries.err, /--retries: expected a whole number from 0 to 100, got "many"/);
  assert.ok(!existsSync(join(dir, "d")), "nothing was copied for a bad command line");
});

test("SIGTERM to a running transfer stops rsync, keeps every source file and does not retry", async (t) => {
  if (!requireTool(t, "rsync")) return;
  const dir = tempDir(t);
  const src = join(dir, "src");
  const dest = join(dir, "dest");
  makeSource(src, { "big.mp4": 2 * 1024 * 1024 });
  const run = ewAsync([
    "transfer",
    src,
    dest,
    "--delete-source",
    "--retries",
    "5",
    "--backoff",
    "1s",
    "--bwlimit",
    "300",
    "--dir",
    join(dir, "status"),
    "--state-dir",
    join(dir, "state"),
  ]);
  t.after(() => run.child.kill("SIGKILL"));
  await waitFor(
    "rsync under way",
    () => existsSync(dest) && readdirSync(dest).some((n) => n.startsWith(".big.mp4.")),
    60_000,
  );
  const pid = run.child.pid as number;
  const rsyncs = childrenNamed(pid, "rsync");
  run.child.kill("SIGTERM");
  const res = await run.done;
  assert.equal(res.code, 1, res.err);
  assert.match(res.err, /attempt 1\/6 failed: rsync exited with 20/, "rsync stops on the forwarded SIGTERM");
  assert.match(res.err, /giving up \(no source file was deleted\)/);
  assert.doesNotMatch(res.err, /retrying/);
  assert.ok(existsSync(join(src, "big.mp4")));
  for (const p of rsyncs)
    assert.ok(
      !existsSync(`/proc/${p}/stat`) || readFileSync(`/proc/${p}/stat`, "utf8").includes(") Z "),
      "rsync stopped",
    );
});
