import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { fieldDouble, ProtoWriter, readFields } from "../../../src/lib/protobuf.ts";
import { SnappyError, snappyCompress, snappyUncompress } from "../../../src/lib/snappy.ts";

test("snappy: compress then uncompress gives the input back, and repetitive input shrinks", () => {
  const text = Buffer.from(
    Array.from({ length: 400 }, (_, i) => `edgewatch_up{device="pi-${i % 7}",site="lab"} 1\n`).join(""),
  );
  const inputs = [
    new Uint8Array(0),
    Uint8Array.of(7),
    randomBytes(100),
    randomBytes(70_000),
    text,
    Buffer.alloc(200_000, 0x61),
    Buffer.concat([randomBytes(5000), text, randomBytes(3), text]),
  ];
  for (const input of inputs) {
    const c = snappyCompress(input);
    assert.deepEqual(Buffer.from(snappyUncompress(c)), Buffer.from(input), `round trip of ${input.length} bytes`);
  }
  assert.ok(snappyCompress(text).length < text.length / 4, "labels repeated 400 times compress at least 4x");
});

test("snappy: a truncated or corrupt block is refused, never read past its end", () => {
  const c = snappyCompress(Buffer.from("hello hello hello hello hello hello"));
  assert.throws(() => snappyUncompress(c.subarray(0, c.length - 2)), SnappyError);
  assert.throws(() => snappyUncompress(Uint8Array.of(10, 0x02, 0x05, 0x00)), SnappyError); // copy before any output
});

test("protobuf: varints, negative int64, doubles and nested messages read back exactly", () => {
  const w = new ProtoWriter();
  w.int64(2, 1_764_000_000_123)
    .int64(3, -5)
    .double(4, 0.1)
    .message(1, (m) => m.string(1, "__name__"));
  const f = readFields(w.finish());
  assert.deepEqual(
    f.map((x) => x.field),
    [2, 3, 4, 1],
  );
  assert.equal(f[0]?.int, 1_764_000_000_123n);
  assert.equal(BigInt.asIntN(64, f[1]?.int as bigint), -5n);
  assert.equal(fieldDouble(f[2] as never), 0.1);
  assert.equal(new TextDecoder().decode(readFields(f[3]?.data as Uint8Array)[0]?.data), "__name__");
});
