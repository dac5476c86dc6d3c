import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { test } from "node:test";
import { DiskQueue } from "../../../src/agent/exports/queue.ts";
import { workDir } from "./helpers.ts";

const log = { debug() {}, info() {}, warn() {}, error() {} };
const item = (i: number) => Buffer.alloc(1000, i % 250);

test("export queue: over its byte budget the oldest items go first, counted; what is left survives a restart in order", async (t) => {
  const dir = workDir(t);
  const dropped: number[] = [];
  const q = new DiskQueue({
    dir,
    maxBytes: 10_000,
    flushMs: 3_600_000,
    log,
    onDrop: (d) => dropped.push(d[0] as number),
  });
  await q.load();
  for (let i = 0; i < 25; i++) q.push(item(i));
  assert.equal(q.length, 10);
  assert.equal(q.dropped, 15);
  assert.deepEqual(dropped, [...Array(15).keys()], "oldest first");
  assert.equal(readdirSync(dir).length, 0, "nothing written before the flush interval");
  const first = q.peek(3, 1e9);
  assert.deepEqual(
    first.map((d) => d[0]),
    [15, 16, 17],
  );
  await q.ack(2);
  await q.close();
  assert.ok(q.bytesWritten > 8000 && q.bytesWritten < 9000, `one file of 8 items, got ${q.bytesWritten} bytes`);

  const again = new DiskQueue({ dir, maxBytes: 10_000, flushMs: 3_600_000, log });
  await again.load();
  assert.deepEqual(
    again.peek(100, 1e9).map((d) => d[0]),
    [17, 18, 19, 20, 21, 22, 23, 24],
  );
  await again.ack(3); // part of the file: the head marker remembers it
  await again.close();
  const third = new DiskQueue({ dir, maxBytes: 10_000, flushMs: 3_600_000, log });
  await third.load();
  assert.deepEqual(
    third.peek(100, 1e9).map((d) => d[0]),
    [20, 21, 22, 23, 24],
    "acknowledged items never come back",
  );
  await third.ack(5);
  await third.close();
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.startsWith("seg-")),
    [],
    "an emptied file is removed",
  );
});

test("export queue: items sent before the flush interval are never written", async (t) => {
  const dir = workDir(t);
  const q = new DiskQueue({ dir, maxBytes: 1e6, flushMs: 50, log });
  await q.load();
  for (let i = 0; i < 5; i++) {
    q.push(item(i));
    q.peek(10, 1e9);
    await q.ack(1);
  }
  await new Promise((r) => setTimeout(r, 150));
  await q.close();
  assert.equal(q.bytesWritten, 0);
  assert.deepEqual(readdirSync(dir), []);
});

test("export sender: a refused batch is retried item by item, so only the bad item is dropped", async (t) => {
  const { Sender } = await import("../../../src/agent/exports/sender.ts");
  const { ExportStats } = await import("../../../src/agent/exports/types.ts");
  const q = new DiskQueue({ dir: workDir(t), maxBytes: 1e6, flushMs: 3_600_000, log });
  await q.load();
  for (const c of ["a", "b", "BAD", "c", "d"]) q.push(Buffer.from(c));
  const delivered: string[] = [];
  const requests: number[] = [];
  const stats = new ExportStats();
  const sender = new Sender({
    name: "test",
    queue: q,
    stats,
    log,
    maxItems: 100,
    maxBytes: 1e6,
    backoffInitialMs: 10,
    backoffMaxMs: 10,
    async send(items) {
      requests.push(items.length);
      const texts = items.map((i) => Buffer.from(i).toString());
      if (texts.includes("BAD")) return { ok: false, permanent: true, reason: "HTTP 400: out of order sample" };
      delivered.push(...texts);
      return { ok: true };
    },
  });
  sender.kick();
  await new Promise((r) => setTimeout(r, 100));
  sender.stop();
  assert.deepEqual(delivered, ["a", "b", "c", "d"]);
  assert.equal(stats.dropped, 1);
  assert.deepEqual(requests, [5, 1, 1, 1, 1, 1], "one refused batch of 5, then one request per item");
  assert.equal(q.length, 0);
});
