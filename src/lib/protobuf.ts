/**
 * The little protobuf the exports need, by hand: a writer for varint, fixed64 double and
 * length-delimited fields, and a reader that walks fields (tests decode payloads with it).
 * Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
 */

const enc = new TextEncoder();

export class ProtoWriter {
  private buf = new Uint8Array(1024);
  private len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Unsigned varint up to 2^53; negative int64 as its ten-byte two's complement. */
  varint(n: number): this {
    this.room(10);
    if (n < 0) {
      let v = BigInt.asUintN(64, BigInt(n));
      while (v >= 0x80n) {
        this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
        v >>= 7n;
      }
      this.buf[this.len++] = Number(v);
      return this;
    }
    while (n >= 0x80) {
      this.buf[this.len++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.len++] = n;
    return this;
  }

  tag(field: number, wire: 0 | 1 | 2 | 5): this {
    return this.varint(field * 8 + wire);
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2).varint(data.length);
    this.room(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, enc.encode(s));
  }

  double(field: number, v: number): this {
    this.tag(field, 1);
    this.room(8);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 8).setFloat64(0, v, true);
    this.len += 8;
    return this;
  }

  int64(field: number, v: number): this {
    return this.tag(field, 0).varint(v);
  }

  /** A nested message written by `fill`. */
  message(field: number, fill: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    fill(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export interface ProtoField {
  field: number;
  wire: number;
  /** Varint value (wire 0) as a bigint, to keep int64 exact. */
  int?: bigint;
  /** Raw bytes: 8 for fixed64, 4 for fixed32, the payload for length-delimited. */
  data?: Uint8Array;
}

export class ProtoError extends Error {}

/** Every top-level field of one message, in wire order; throws ProtoError on truncated input. */
export function readFields(buf: Uint8Array): ProtoField[] {
  const out: ProtoField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (pos >= buf.length || shift > 63n) throw new ProtoError("truncated varint");
      const b = buf[pos++] as number;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 0) throw new ProtoError("field number 0");
    if (wire === 0) out.push({ field, wire, int: varint() });
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (pos + n > buf.length) throw new ProtoError("truncated fixed field");
      out.push({ field, wire, data: buf.subarray(pos, pos + n) });
      pos += n;
    } else if (wire === 2) {
      const n = Number(varint());
      if (pos + n > buf.length) throw new ProtoError("truncated length-delimited field");
      out.push({ field, wire, data: buf.subarray(pos, pos + n) });
      pos += n;
    } else throw new ProtoError(`unsupported wire type ${wire}`);
  }
  return out;
}

/** A fixed64 field's bytes as a little-endian double. */
export function fieldDouble(f: ProtoField): number {
  const d = f.data as Uint8Array;
  return new DataView(d.buffer, d.byteOffset, 8).getFloat64(0, true);
}
