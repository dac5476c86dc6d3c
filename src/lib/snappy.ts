/**
 * Snappy block format (not the framed stream), pure JS: what Prometheus remote_write and Loki's
 * protobuf push expect in a `Content-Encoding: snappy` body. A greedy 4-byte hash matcher over 64 KiB
 * fragments, like the reference encoder; any conforming decoder reads its output.
 */

const MAX_FRAGMENT = 65_536;
const HASH_BITS = 14;
const HASH_MUL = 0x1e35a7bd;

function putVarint(out: number[], n: number): void {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

function emitLiteral(out: number[], src: Uint8Array, from: number, to: number): void {
  const n = to - from - 1;
  if (n < 60) out.push(n << 2);
  else if (n < 0x100) out.push(60 << 2, n);
  else if (n < 0x10000) out.push(61 << 2, n & 0xff, n >>> 8);
  else out.push(62 << 2, n & 0xff, (n >>> 8) & 0xff, n >>> 16);
  for (let i = from; i < to; i++) out.push(src[i] as number);
}

function emitCopy(out: number[], offset: number, len: number): void {
  while (len > 0) {
    // Leave at least 4 for a final short copy: a 2-byte-offset copy carries 1..64 bytes.
    let n = len > 64 ? (len - 64 < 4 ? len - 4 : 64) : len;
    if (n >= 4 && n < 12 && offset < 2048) {
      out.push(1 | ((n - 4) << 2) | ((offset >>> 8) << 5), offset & 0xff);
    } else {
      n = Math.min(n, 64);
      out.push(2 | ((n - 1) << 2), offset & 0xff, offset >>> 8);
    }
    len -= n;
  }
}

const load32 = (b: Uint8Array, i: number): number =>
  ((b[i] as number) | ((b[i + 1] as number) << 8) | ((b[i + 2] as number) << 16) | ((b[i + 3] as number) << 24)) >>> 0;

function compressFragment(out: number[], src: Uint8Array, start: number, end: number, table: Int32Array): void {
  table.fill(-1);
  let lit = start;
  let i = start;
  const last = end - 4;
  while (i <= last) {
    const v = load32(src, i);
    const h = Math.imul(v, HASH_MUL) >>> (32 - HASH_BITS);
    const cand = table[h] as number;
    table[h] = i;
    if (cand < 0 || load32(src, cand) !== v) {
      i++;
      continue;
    }
    if (lit < i) emitLiteral(out, src, lit, i);
    let len = 4;
    while (i + len < end && src[cand + len] === src[i + len]) len++;
    emitCopy(out, i - cand, len);
    i += len;
    lit = i;
  }
  if (lit < end) emitLiteral(out, src, lit, end);
}

/** Compress to one snappy block. */
export function snappyCompress(src: Uint8Array): Uint8Array {
  const out: number[] = [];
  putVarint(out, src.length);
  const table = new Int32Array(1 << HASH_BITS);
  for (let at = 0; at < src.length; at += MAX_FRAGMENT) {
    compressFragment(out, src, at, Math.min(src.length, at + MAX_FRAGMENT), table);
  }
  return Uint8Array.from(out);
}

/** Thrown for a body that is not a valid snappy block. */
export class SnappyError extends Error {}

/** Decompress one snappy block; throws SnappyError on malformed input. */
export function snappyUncompress(src: Uint8Array): Uint8Array {
  let pos = 0;
  let len = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= src.length || shift > 28) throw new SnappyError("bad length preamble");
    const b = src[pos++] as number;
    len += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  const out = new Uint8Array(len);
  let o = 0;
  while (pos < src.length) {
    const tag = src[pos++] as number;
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        n = 0;
        for (let k = 0; k < bytes; k++) n |= (src[pos + k] as number) << (8 * k);
        pos += bytes;
      }
      n = (n >>> 0) + 1;
      if (pos + n > src.length || o + n > len) throw new SnappyError("literal runs past the end");
      out.set(src.subarray(pos, pos + n), o);
      pos += n;
      o += n;
      continue;
    }
    let n: number;
    let off: number;
    if (kind === 1) {
      n = ((tag >>> 2) & 7) + 4;
      off = ((tag >>> 5) << 8) | (src[pos++] as number);
    } else if (kind === 2) {
      n = (tag >>> 2) + 1;
      off = (src[pos] as number) | ((src[pos + 1] as number) << 8);
      pos += 2;
    } else {
      n = (tag >>> 2) + 1;
      off = load32(src, pos);
      pos += 4;
    }
    if (pos > src.length || off === 0 || off > o || o + n > len) throw new SnappyError("bad copy");
    for (let k = 0; k < n; k++, o++) out[o] = out[o - off] as number;
  }
  if (o !== len) throw new SnappyError(`expected ${len} bytes, got ${o}`);
  return out;
}
