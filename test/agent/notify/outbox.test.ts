import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { webhook } from "../../../src/notify/channels/webhook.ts";
import { Outbox, OutboxWriteError } from "../../../src/notify/outbox.ts";
import type { Notification } from "../../../src/notify/types.ts";
import type { Level } from "../../../src/protocol/names.ts";
import { tempDir, waitFor as waitForBase } from "../../helpers/tools.ts";
import { webhookServer } from "./contracts.ts";

/** Generous deadlines: the machine may be heavily loaded; nothing here asserts on elapsed time. */
const waitFor = <T>(what: string, check: () => T | Promise<T>, ms = 0) =>
  waitForBase(what, check, Math.max(ms, 120_000));

function recorder() {
  const lines: string[] = [];
  const rec = (level: string) => (msg: string) => {
    lines.push(`${level}: ${msg}`);
  };
  return { lines, log: { debug: rec("debug"), info: rec("info"), warn: rec("warn"), error: rec("error") } };
}

function base(i: number, level: Level = "error", extra = ""): Omit<Notification, "id" | "channel"> {
  return {
    kind: "alert",
    level,
    title: `alert ${i}`,
    message: `alert ${i}${extra}`,
    device_id: "pi",
    site: "lab",
    timestamp: new Date().toISOString(),
    dedupe_key: `k${i}`,
  };
}

function outbox(
  dir: string,
  url: string,
  log = recorder().log,
  over: Partial<ConstructorParameters<typeof Outbox>[0]> = {},
) {
  const ch = webhook.create(webhook.schema().parse({ type: "webhook", url: `${url}/hook` }), 60_000);
  return new Outbox({ dir, channels: [ch], log, backoffInitialMs: 50, backoffMaxMs: 200, summaryAfter: 100, ...over });
}

test("receiver down for a while, then back: every notification delivered, none twice, in order", async (t) => {
  const dir = tempDir(t);
  const srv = await webhookServer(t);
  await srv.down();
  const ob = outbox(dir, srv.url);
  t.after(() => ob.stop());
  await ob.start();
  for (let i = 0; i < 6; i++) await ob.enqueue(base(i), ["webhook"]);
  assert.equal(readdirSync(join(dir, "pending")).length, 6, "on disk before any send");
  await waitFor("several failed attempts", () => (ob.counters.get("webhook\tretry") ?? 0) >= 3);
  assert.equal(ob.depth(), 6);
  assert.ok(ob.oldestAgeSeconds() >= 0);
  await srv.up();
  await waitFor("all delivered", () => srv.accepted.length >= 6 && ob.drained, 20_000);
  await new Promise((r) => setTimeout(r, 300)); // a duplicate would arrive now
  assert.deepEqual(
    srv.accepted.map((r) => r.json.message),
    ["alert 0", "alert 1", "alert 2", "alert 3", "alert 4", "alert 5"],
  );
  assert.equal(readdirSync(join(dir, "pending")).length, 0, "removed only after the ack");
  assert.equal(ob.counters.get("webhook\tsent"), 6);
});

test("permanent 4xx is dead-lettered with the reason; 5xx retried; the queue moves on", async (t) => {
  const dir = tempDir(t);
  const srv = await webhookServer(t);
  const { lines, log } = recorder();
  const ob = outbox(dir, srv.url, log);
  t.after(() => ob.stop());
  await ob.start();
  srv.faults.push({ status: 503 }, { status: 400 });
  await ob.enqueue(base(1), ["webhook"]);
  await ob.enqueue(base(2), ["webhook"]);
  await waitFor("second delivered", () => srv.accepted.length === 1 && ob.drained);
  assert.equal(srv.accepted[0]?.json.message, "alert 2");
  const dead = readdirSync(join(dir, "dead"));
  assert.equal(dead.length, 1);
  const d = JSON.parse(readFileSync(join(dir, "dead", dead[0] as string), "utf8"));
  assert.equal(d.title, "alert 1");
  assert.match(d.dead_reason, /^HTTP 400: fault/);
  assert.ok(lines.some((l) => /refused a notification permanently: HTTP 400/.test(l)));
  assert.equal(ob.counters.get("webhook\tretry"), 1);
  assert.equal(ob.counters.get("webhook\tdead"), 1);
});

test("bounded: over max_pending the oldest info-level notifications are dropped first, and the drop is told", async (t) => {
  const dir = tempDir(t);
  const srv = await webhookServer(t);
  await srv.down();
  const ob = outbox(dir, srv.url, recorder().log, { maxPending: 10 });
  t.after(() => ob.stop());
  await ob.start();
  for (let i = 0; i < 6; i++) await ob.enqueue(base(i, "info"), ["webhook"]);
  for (let i = 6; i < 12; i++) await ob.enqueue(base(i, "critical"), ["webhook"]);
  assert.equal(ob.depth(), 10);
  assert.equal(readdirSync(join(dir, "pending")).length, 10);
  assert.equal(ob.counters.get("webhook\tdropped"), 2);
  await srv.up();
  await waitFor("delivered", () => srv.accepted.length === 10 && ob.drained, 20_000);
  const msgs = srv.accepted.map((r) => r.json.message);
  assert.ok(!msgs.includes("alert 0") && !msgs.includes("alert 1"), "the two oldest info ones went");
  assert.ok(msgs.includes("alert 2") && msgs.includes("alert 11"));
  assert.equal(srv.accepted[0]?.json.dropped_before, 2);
  assert.equal(srv.accepted[1]?.json.dropped_before, undefined, "told once");
});

test("after a long outage: one summary instead of a storm", async (t) => {
  const dir = tempDir(t);
  const srv = await webhookServer(t);
  await srv.down();
  const ob = outbox(dir, srv.url, recorder().log, { summaryAfter: 3 });
  t.after(() => ob.stop());
  await ob.start();
  for (let i = 0; i < 8; i++) await ob.enqueue(base(i, i === 5 ? "critical" : "error"), ["webhook"]);
  await srv.up();
  await waitFor("summary delivered", () => srv.accepted.length >= 1 && ob.drained, 20_000);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(srv.accepted.length, 1);
  const b = srv.accepted[0]?.json;
  assert.equal(b.kind, "summary");
  assert.equal(b.level, "CRITICAL", "the summary carries the worst level");
  assert.equal(b.summary_of.count, 8);
  assert.deepEqual(
    b.summary_of.items.map((x: { title: string }) => x.title),
    Array.from({ length: 8 }, (_, i) => `alert ${i}`),
  );
  assert.equal(ob.counters.get("webhook\tsummarized"), 8);
});

test("dedupe: the same key is never sent twice, even across restarts; unreadable files are set aside", async (t) => {
  const dir = tempDir(t);
  const srv = await webhookServer(t);
  const a = outbox(dir, srv.url);
  await a.start();
  await a.enqueue(base(1), ["webhook"]);
  await a.enqueue(base(1), ["webhook"]);
  await waitFor("sent", () => a.drained && srv.accepted.length === 1);
  await a.enqueue(base(1), ["webhook"]);
  a.stop();
  writeFileSync(join(dir, "pending", "0000000000001-000001-aaaaaa-webhook.json"), "{not json");
  writeFileSync(join(dir, "pending", ".0000000000002-webhook.json.123.tmp"), "{half");
  const { lines, log } = recorder();
  const b = outbox(dir, srv.url, log);
  t.after(() => b.stop());
  await b.start();
  await b.enqueue(base(1), ["webhook"]);
  await b.enqueue(base(2), ["webhook"]);
  await waitFor("second key sent", () => b.drained && srv.accepted.length === 2);
  assert.deepEqual(
    srv.accepted.map((r) => r.json.dedupe_key),
    ["k1", "k2"],
  );
  assert.equal(a.counters.get("webhook\tdeduped"), 2);
  assert.equal(b.counters.get("webhook\tdeduped"), 1);
  assert.ok(lines.some((l) => /is unreadable .*moved to dead\//.test(l)));
  assert.deepEqual(readdirSync(join(dir, "pending")), [], "temp file of an interrupted write removed");
});

function runChild(t: import("node:test").TestContext, dir: string, url: string, count: number): ChildProcess {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "fixtures", "outbox-child.ts"), dir, url, String(count)],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  return child;
}

test("SIGKILL with notifications pending: all delivered after restart, none twice", async (t) => {
  const dir = tempDir(t);
  const srv = await webhookServer(t);
  await srv.down();
  const first = runChild(t, dir, `${srv.url}/hook`, 20);
  let out = "";
  first.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  await waitFor("child queued 20", () => out.includes("queued 20"), 60_000);
  first.kill("SIGKILL");
  await new Promise((r) => first.once("exit", r));
  assert.equal(first.signalCode, "SIGKILL");
  assert.equal(srv.accepted.length, 0);
  assert.equal(readdirSync(join(dir, "pending")).filter((n) => n.endsWith(".json")).length, 20);

  await srv.up();
  const second = runChild(t, dir, `${srv.url}/hook`, 0);
  let out2 = "";
  second.stdout?.on("data", (c: Buffer) => {
    out2 += c.toString();
  });
  await waitFor("all 20 delivered after restart", () => srv.accepted.length >= 20 && out2.includes("depth 0"), 60_000);
  second.kill("SIGKILL");
  const keys = srv.accepted.map((r) => r.json.dedupe_key);
  assert.equal(keys.length, 20);
  assert.equal(new Set(keys).size, 20, "none twice");
  assert.deepEqual(readdirSync(join(dir, "pending")), []);
});

test("disk full while writing the outbox: a clear error, nothing corrupt, and it works again once there is room", async (t) => {
  if (process.getuid?.() !== 0) {
    if (process.env.CI === "true")
      throw new Error("CI=true: this test must run as root (needs root to mount a 64 KiB tmpfs)");
    t.skip("needs root to mount a 64 KiB tmpfs");
    return;
  }
  const root = mkdtempSync(join(tmpdir(), "ew-diskfull-"));
  const mnt = join(root, "small");
  mkdirSync(mnt);
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt]);
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    if (process.env.CI === "true") throw err;
    t.skip(`cannot mount tmpfs here: ${(err as Error).message}`);
    return;
  }
  t.after(() => {
    execFileSync("umount", ["-l", mnt]);
    rmSync(root, { recursive: true, force: true });
  });
  const srv = await webhookServer(t);
  await srv.down();
  const { lines, log } = recorder();
  const ob = outbox(join(mnt, "outbox"), srv.url, log);
  t.after(() => ob.stop());
  await ob.start();
  const pad = ` ${"x".repeat(6000)}`;
  let failure: unknown = null;
  let queued = 0;
  for (let i = 0; i < 40 && !failure; i++) {
    try {
      await ob.enqueue(base(i, "error", pad), ["webhook"], { mustPersist: true });
      queued++;
    } catch (err) {
      failure = err;
    }
  }
  assert.ok(failure instanceof OutboxWriteError, `expected OutboxWriteError, got ${failure}`);
  assert.match((failure as Error).message, /cannot write notification to .*pending: ENOSPC/);
  assert.ok(lines.some((l) => /^error: outbox: cannot write notification .*ENOSPC.*stays in the maildir/.test(l)));
  assert.ok(queued >= 3, `some fitted first (${queued})`);
  const files = readdirSync(join(mnt, "outbox", "pending"));
  assert.equal(files.length, queued, "no half-written or temp files left");
  for (const f of files) JSON.parse(readFileSync(join(mnt, "outbox", "pending", f), "utf8"));

  // Not must-persist (alerts from samples): kept in memory, still delivered.
  await ob.enqueue(base(100, "error", pad), ["webhook"]);
  assert.equal(ob.depth(), queued + 1);
  // Room again (two files removed by hand): the next write also persists the memory-only one.
  for (const victim of readdirSync(join(mnt, "outbox", "pending"))
    .sort()
    .slice(0, 2)) {
    rmSync(join(mnt, "outbox", "pending", victim));
  }
  await ob.enqueue(base(102), ["webhook"]);
  const onDisk = readdirSync(join(mnt, "outbox", "pending")).map(
    (f) => JSON.parse(readFileSync(join(mnt, "outbox", "pending", f), "utf8")).dedupe_key,
  );
  assert.ok(
    onDisk.includes("k100") && onDisk.includes("k102"),
    `memory-only one persisted once there was room: ${onDisk}`,
  );
  await srv.up();
  await waitFor(
    "everything delivered once the receiver is back",
    () => ob.drained && srv.accepted.length === queued + 2, // the files removed by hand were still queued in memory
    30_000,
  );
  await ob.enqueue(base(101), ["webhook"], { mustPersist: true });
  await waitFor("room again: a new notification is written and sent", () => srv.accepted.length === queued + 3);
});

test("SIGKILL mid-send: the notification goes again after restart, marked as a possible repeat, with the same Idempotency-Key", async (t) => {
  const dir = tempDir(t);
  // the receiver takes the first request and never answers (the agent dies waiting); later ones get 200
  const got: { key: string | undefined; body: Record<string, unknown> }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      got.push({
        key: req.headers["idempotency-key"] as string | undefined,
        body: JSON.parse(Buffer.concat(chunks).toString()),
      });
      if (got.length > 1) res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const first = runChild(t, dir, url, 1);
  await waitFor("the first attempt reached the receiver", () => got.length === 1);
  first.kill("SIGKILL");
  await new Promise((r) => first.once("exit", r));
  const second = runChild(t, dir, url, 0);
  let out = "";
  second.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  await waitFor("delivered after the restart", () => got.length === 2 && out.includes("depth 0"));
  second.kill("SIGKILL");
  const [a, b] = got as [(typeof got)[0], (typeof got)[0]];
  assert.equal(a.body.dedupe_key, "k0");
  assert.equal(b.body.dedupe_key, "k0");
  assert.ok(a.key, "an Idempotency-Key header is sent");
  assert.equal(b.key, a.key, "the same key on the repeat: a receiver that keeps keys drops it");
  assert.equal(a.body.redelivery, undefined, "the first attempt is not marked");
  assert.equal(b.body.redelivery, true, "the repeat is marked as one");
  assert.match(String(b.body.message), /alert 0/);
});

test("a notification the channel took is not sent again when the agent stopped before removing its file", async (t) => {
  const dir = tempDir(t);
  const srv = await webhookServer(t);
  const a = outbox(dir, srv.url);
  await a.start();
  await a.enqueue(base(7), ["webhook"]);
  await waitFor("sent", () => a.drained && srv.accepted.length === 1);
  a.stop();
  // what a stop right after the send was recorded leaves: the file still pending, its key in sent.log
  const sent = JSON.parse(JSON.stringify(srv.accepted[0]?.json)) as Record<string, unknown>;
  const file = join(dir, "pending", `${String(sent.id)}-webhook.json`);
  writeFileSync(file, JSON.stringify({ ...sent, channel: "webhook", level: "error", title: "alert 7" }));
  const b = outbox(dir, srv.url);
  t.after(() => b.stop());
  await b.start();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(srv.accepted.length, 1, "not sent twice");
  assert.deepEqual(readdirSync(join(dir, "pending")), [], "the leftover file is removed");
  assert.equal(b.counters.get("webhook\tdeduped"), 1);
});
