/**
 * A minimal EXIF writer: one APP1 "Exif" segment (little-endian TIFF, as libcamera writes it) with IFD0 (Make, Model,
 * DateTime), an Exif sub-IFD (DateTimeOriginal) and IFD1 whose JPEGInterchangeFormat points at an
 * embedded JPEG thumbnail, as a Raspberry Pi camera's stills carry one. Readers (exiftool, the hub's
 * thumbnail reader) take the thumbnail from there without decoding the full frame.
 */

const ASCII = 2;
const SHORT = 3;
const LONG = 4;
const RATIONAL = 5;
const UNDEFINED = 7;
const SIZES: Record<number, number> = { [ASCII]: 1, [SHORT]: 2, [LONG]: 4, [RATIONAL]: 8, [UNDEFINED]: 1 };

interface Entry {
  tag: number;
  type: number;
  /** A number (SHORT, LONG), a pair list (RATIONAL), or a string (ASCII, NUL added). */
  value: number | string | [number, number] | Buffer;
}

function encode(e: Entry): { count: number; bytes: Buffer } {
  if (typeof e.value === "string") {
    const bytes = Buffer.from(`${e.value}\0`, "latin1");
    return { count: bytes.length, bytes };
  }
  if (Buffer.isBuffer(e.value)) return { count: e.value.length, bytes: e.value };
  if (Array.isArray(e.value)) {
    const bytes = Buffer.alloc(8);
    bytes.writeUInt32LE(e.value[0], 0);
    bytes.writeUInt32LE(e.value[1], 4);
    return { count: 1, bytes };
  }
  const bytes = Buffer.alloc(SIZES[e.type] as number);
  if (e.type === SHORT) bytes.writeUInt16LE(e.value, 0);
  else bytes.writeUInt32LE(e.value, 0);
  return { count: 1, bytes };
}

/** Bytes one IFD takes with its out-of-line values (each padded to an even length). */
function ifdSize(entries: Entry[]): number {
  let data = 0;
  for (const e of entries) {
    const n = encode(e).bytes.length;
    if (n > 4) data += n + (n % 2);
  }
  return 2 + entries.length * 12 + 4 + data;
}

/** One IFD at TIFF offset `at`, its entries sorted by tag, followed by its out-of-line values. */
function ifd(entries: Entry[], at: number, next: number): Buffer {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag);
  const out = Buffer.alloc(ifdSize(sorted));
  out.writeUInt16LE(sorted.length, 0);
  let data = 2 + sorted.length * 12 + 4;
  sorted.forEach((e, i) => {
    const { count, bytes } = encode(e);
    const p = 2 + i * 12;
    out.writeUInt16LE(e.tag, p);
    out.writeUInt16LE(e.type, p + 2);
    out.writeUInt32LE(count, p + 4);
    if (bytes.length <= 4) bytes.copy(out, p + 8);
    else {
      out.writeUInt32LE(at + data, p + 8);
      bytes.copy(out, data);
      data += bytes.length + (bytes.length % 2);
    }
  });
  out.writeUInt32LE(next, 2 + sorted.length * 12);
  return out;
}

export interface ExifFields {
  make?: string;
  model?: string;
  /** When the picture was taken (written as local "YYYY:MM:DD HH:MM:SS", as cameras do). */
  time?: Date;
  /** The main image's size (ExifImageWidth/Height); default 160×120, the demo photo's. */
  width?: number;
  height?: number;
}

function exifTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}:${p(d.getMonth() + 1)}:${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The APP1 segment (marker included) carrying `fields` and `thumbnail` (a JPEG, under ~60 KB). */
export function exifSegment(thumbnail: Buffer, fields: ExifFields = {}): Buffer {
  const time = exifTime(fields.time ?? new Date());
  const resolution: Entry[] = [
    { tag: 0x011a, type: RATIONAL, value: [72, 1] },
    { tag: 0x011b, type: RATIONAL, value: [72, 1] },
    { tag: 0x0128, type: SHORT, value: 2 }, // ResolutionUnit: inches
  ];
  const exifIfd: Entry[] = [
    { tag: 0x9000, type: UNDEFINED, value: Buffer.from("0232") }, // ExifVersion
    { tag: 0x9003, type: ASCII, value: time }, // DateTimeOriginal
    { tag: 0x9101, type: UNDEFINED, value: Buffer.from([1, 2, 3, 0]) }, // ComponentsConfiguration: YCbCr
    { tag: 0xa000, type: UNDEFINED, value: Buffer.from("0100") }, // FlashpixVersion
    { tag: 0xa001, type: SHORT, value: 1 }, // ColorSpace: sRGB
    { tag: 0xa002, type: LONG, value: fields.width ?? 160 },
    { tag: 0xa003, type: LONG, value: fields.height ?? 120 },
  ];
  const ifd0Base: Entry[] = [
    { tag: 0x010f, type: ASCII, value: fields.make ?? "edgewatch" },
    { tag: 0x0110, type: ASCII, value: fields.model ?? "demo camera" },
    ...resolution,
    { tag: 0x0132, type: ASCII, value: time },
    { tag: 0x0213, type: SHORT, value: 1 }, // YCbCrPositioning: centred
  ];
  const ifd1Base: Entry[] = [
    { tag: 0x0103, type: SHORT, value: 6 }, // Compression: JPEG (old-style) thumbnail
    ...resolution,
  ];
  const pointerStub: Entry = { tag: 0x8769, type: LONG, value: 0 };
  const ifd0At = 8;
  const exifAt = ifd0At + ifdSize([...ifd0Base, pointerStub]);
  const ifd1At = exifAt + ifdSize(exifIfd);
  const thumbStubs: Entry[] = [
    { tag: 0x0201, type: LONG, value: 0 },
    { tag: 0x0202, type: LONG, value: thumbnail.length },
  ];
  const thumbAt = ifd1At + ifdSize([...ifd1Base, ...thumbStubs]);
  const tiff = Buffer.concat([
    Buffer.from([0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00]), // "II", 42, IFD0 at 8
    ifd([...ifd0Base, { ...pointerStub, value: exifAt }], ifd0At, ifd1At),
    ifd(exifIfd, exifAt, 0),
    ifd([...ifd1Base, { tag: 0x0201, type: LONG, value: thumbAt }, thumbStubs[1] as Entry], ifd1At, 0),
    thumbnail,
  ]);
  const body = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]);
  if (body.length + 2 > 0xffff) throw new Error(`EXIF thumbnail too large: ${thumbnail.length} bytes`);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2); // JPEG's own fields are big-endian
  return Buffer.concat([head, body]);
}

/**
 * `jpeg` with an EXIF segment (and its thumbnail) inserted right after SOI, before any APP0 (JFIF)
 * segment as cameras write it; an existing APP1 Exif segment is replaced.
 */
export function withExif(jpeg: Buffer, thumbnail: Buffer, fields: ExifFields = {}): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error("withExif: expected a JPEG (FF D8), got other bytes");
  let rest = jpeg.subarray(2);
  if (rest[0] === 0xff && rest[1] === 0xe1 && rest.subarray(4, 10).toString("latin1") === "Exif\0\0")
    rest = rest.subarray(2 + rest.readUInt16BE(2));
  return Buffer.concat([jpeg.subarray(0, 2), exifSegment(thumbnail, fields), rest]);
}
