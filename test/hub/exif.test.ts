// The EXIF thumbnail reader (src/lib/exif.ts): real files written by exiftool, both byte orders, and
// hostile input — truncated, looping, absurd — which must give null, never throw or hang.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { EXIF_READ_BYTES, exifThumbnail, readExifThumbnail } from "../../src/lib/exif.ts";
import { requireTool, tempDir } from "../helpers/tools.ts";

const FIX = join(import.meta.dirname, "fixtures");
// exif-photo.jpg: no-exif.jpg with exif-thumb.jpg embedded by exiftool (big-endian TIFF).
const photo = readFileSync(join(FIX, "exif-photo.jpg"));
const thumb = readFileSync(join(FIX, "exif-thumb.jpg"));
const plain = readFileSync(join(FIX, "no-exif.jpg"));

test("the committed fixture: the embedded thumbnail, byte for byte; a JPEG without EXIF, or no JPEG, gives null", () => {
  assert.deepEqual(Buffer.from(exifThumbnail(photo) ?? []), thumb);
  assert.equal(exifThumbnail(plain), null);
  assert.equal(exifThumbnail(Buffer.from("GIF89a not a jpeg")), null);
  assert.equal(exifThumbnail(new Uint8Array()), null);
});

test("files written by exiftool, little- and big-endian; only the first 64 KiB are read", async (t) => {
  const exiftool = requireTool(t, "exiftool", "libimage-exiftool-perl");
  if (!exiftool) return;
  const dir = tempDir(t, "ew-exif-");
  writeFileSync(join(dir, "thumb.jpg"), thumb);
  for (const order of ["Little-endian", "Big-endian"]) {
    const f = join(dir, `${order}.jpg`);
    writeFileSync(f, plain);
    execFileSync(exiftool, ["-q", "-overwrite_original", `-ExifByteOrder=${order}`, "-ThumbnailImage<=thumb.jpg", f], {
      cwd: dir,
    });
    const bytes = readFileSync(f);
    assert.equal(bytes.subarray(0, 40).includes(Buffer.from(order === "Little-endian" ? "II*\0" : "MM\0*")), true);
    assert.deepEqual(await readExifThumbnail(f), thumb, order);
  }
  // the same EXIF pushed past the first 64 KiB by a big APP2 segment in front of it: not read, null
  const app2 = Buffer.alloc(4 + 65_000);
  app2.writeUInt16BE(0xffe2, 0);
  app2.writeUInt16BE(65_002, 2);
  const late = join(dir, "late.jpg");
  writeFileSync(late, Buffer.concat([photo.subarray(0, 2), app2, photo.subarray(2)]));
  assert.ok(readFileSync(late).length > EXIF_READ_BYTES);
  assert.equal(await readExifThumbnail(late), null);
  assert.equal(exifThumbnail(readFileSync(late)) !== null, true, "the whole file does hold it");
  assert.equal(await readExifThumbnail(join(dir, "missing.jpg")), null);
});

/** Offsets inside the fixture's TIFF block (after "Exif\0\0"). */
function layout(b: Buffer) {
  const tiff = b.indexOf(Buffer.from("Exif\0\0")) + 6;
  const ifd0 = b.readUInt32BE(tiff + 4);
  const n0 = b.readUInt16BE(tiff + ifd0);
  const next = tiff + ifd0 + 2 + n0 * 12;
  return { tiff, ifd0, next, ifd1: b.readUInt32BE(next) };
}

test("hostile input: every truncation, a loop back to IFD0, absurd offsets and lengths give null", () => {
  for (let n = 0; n < photo.length; n++) {
    const got = exifThumbnail(photo.subarray(0, n));
    assert.ok(got === null || Buffer.from(got).equals(thumb), `truncated at ${n}`);
  }
  const { tiff, ifd0, next, ifd1 } = layout(photo);
  const loop = Buffer.from(photo);
  loop.writeUInt32BE(ifd0, next);
  assert.equal(exifThumbnail(loop), null, "IFD1 pointing back at IFD0");
  const entries = (b: Buffer) => {
    const at = tiff + ifd1;
    const out: Record<number, number> = {};
    for (let i = 0; i < b.readUInt16BE(at); i++) out[b.readUInt16BE(at + 2 + i * 12)] = at + 2 + i * 12;
    return out;
  };
  const e = entries(photo);
  assert.ok(e[0x0201] && e[0x0202], "the fixture has JPEGInterchangeFormat and its length");
  for (const [tag, value] of [
    [0x0202, 0xffffffff],
    [0x0202, 10_000_000],
    [0x0201, 0xfffffff0],
    [0x0201, 3],
  ] as const) {
    const bad = Buffer.from(photo);
    bad.writeUInt32BE(value, (e[tag] as number) + 8);
    assert.equal(exifThumbnail(bad), null, `tag ${tag.toString(16)} = ${value}`);
  }
  const manyEntries = Buffer.from(photo);
  manyEntries.writeUInt16BE(0xffff, tiff + ifd0);
  assert.equal(exifThumbnail(manyEntries), null, "65535 IFD entries");
  const zeroLength = Buffer.from(photo);
  zeroLength.writeUInt16BE(0, photo.indexOf(Buffer.from([0xff, 0xe1])) + 2);
  assert.equal(exifThumbnail(zeroLength), null, "an APP1 segment of length 0");
});

test("fuzz: mutated and random bytes never throw and give null or a JPEG cut from the input", () => {
  const mutation = fc.array(fc.record({ at: fc.nat({ max: photo.length - 1 }), byte: fc.nat({ max: 255 }) }), {
    minLength: 1,
    maxLength: 8,
  });
  fc.assert(
    fc.property(mutation, fc.nat({ max: photo.length }), (muts, cut) => {
      const b = Buffer.from(photo);
      for (const m of muts) b[m.at] = m.byte;
      const got = exifThumbnail(b.subarray(0, cut));
      if (got === null) return true;
      return got[0] === 0xff && got[1] === 0xd8 && b.subarray(0, cut).indexOf(Buffer.from(got)) >= 0;
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
      const b = new Uint8Array([0xff, 0xd8, 0xff, 0xe1, ...bytes]);
      const got = exifThumbnail(b);
      return got === null || (got[0] === 0xff && got[1] === 0xd8);
    }),
    { numRuns: 3000 },
  );
});
