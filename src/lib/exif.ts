import { open } from "node:fs/promises";

/** Only the start of a file is read: EXIF (APP1) sits right after the SOI marker, before the image data. */
export const EXIF_READ_BYTES = 64 * 1024;
const MAX_ENTRIES = 512;

const TAG_JPEG_OFFSET = 0x0201; // JPEGInterchangeFormat
const TAG_JPEG_LENGTH = 0x0202; // JPEGInterchangeFormatLength

/**
 * The embedded EXIF thumbnail of a JPEG (IFD1's JPEGInterchangeFormat/Length inside the APP1 "Exif"
 * segment), as a copy; null when there is none or anything about it is off. Big- and little-endian
 * TIFF. Hostile input (truncated, offsets out of range, IFD1 pointing back at IFD0, absurd counts or
 * lengths) gives null: this never throws, and its work is bounded by the bytes given.
 */
export function exifThumbnail(buf: Uint8Array): Uint8Array | null {
  try {
    return find(buf);
  } catch {
    return null;
  }
}

function find(b: Uint8Array): Uint8Array | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let p = 2;
  while (p + 4 <= b.length) {
    if (b[p] !== 0xff) return null;
    const marker = b[p + 1] as number;
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image / start of scan: no EXIF before it
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      p += 2; // markers without a length
      continue;
    }
    const len = ((b[p + 2] as number) << 8) | (b[p + 3] as number);
    if (len < 2) return null;
    const start = p + 4;
    const end = Math.min(p + 2 + len, b.length);
    if (marker === 0xe1 && end - start > 14 && ascii(b, start, 6) === "Exif\0\0") {
      const t = tiff(b.subarray(start + 6, end));
      if (t) return t;
    }
    p += 2 + len;
  }
  return null;
}

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

function tiff(t: Uint8Array): Uint8Array | null {
  if (t.length < 8) return null;
  const order = ascii(t, 0, 2);
  if (order !== "II" && order !== "MM") return null;
  const le = order === "II";
  const dv = new DataView(t.buffer, t.byteOffset, t.byteLength);
  const u16 = (o: number) => dv.getUint16(o, le);
  const u32 = (o: number) => dv.getUint32(o, le);
  if (u16(2) !== 42) return null;
  const ifd0 = u32(4);
  const next = (ifd: number): number | null => {
    if (ifd < 8 || ifd + 2 > t.length) return null;
    const n = u16(ifd);
    if (n === 0 || n > MAX_ENTRIES || ifd + 2 + n * 12 + 4 > t.length) return null;
    return ifd + 2 + n * 12;
  };
  const end0 = next(ifd0);
  if (end0 === null) return null;
  const ifd1 = u32(end0);
  if (ifd1 === 0 || ifd1 === ifd0) return null; // no IFD1, or a loop back
  const end1 = next(ifd1);
  if (end1 === null) return null;
  let offset = -1;
  let length = -1;
  for (let e = ifd1 + 2; e < end1; e += 12) {
    const tag = u16(e);
    const type = u16(e + 2);
    if (tag !== TAG_JPEG_OFFSET && tag !== TAG_JPEG_LENGTH) continue;
    if (u32(e + 4) !== 1) return null; // count must be 1
    const v = type === 4 ? u32(e + 8) : type === 3 ? u16(e + 8) : -1;
    if (v < 0) return null;
    if (tag === TAG_JPEG_OFFSET) offset = v;
    else length = v;
  }
  if (offset < 8 || length < 4 || offset + length > t.length) return null;
  const thumb = t.subarray(offset, offset + length);
  if (thumb[0] !== 0xff || thumb[1] !== 0xd8) return null;
  return new Uint8Array(thumb);
}

/** The EXIF thumbnail of a JPEG file, reading at most its first 64 KiB; null when none (or unreadable). */
export async function readExifThumbnail(file: string): Promise<Buffer | null> {
  let fh: Awaited<ReturnType<typeof open>> | null = null;
  try {
    fh = await open(file, "r");
    const buf = Buffer.alloc(EXIF_READ_BYTES);
    const { bytesRead } = await fh.read(buf, 0, EXIF_READ_BYTES, 0);
    const t = exifThumbnail(buf.subarray(0, bytesRead));
    return t ? Buffer.from(t) : null;
  } catch {
    return null;
  } finally {
    await fh?.close().catch(() => {});
  }
}
