import { EventEmitter } from "node:events";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

/**
 * A small MQTT 3.1.1 client, pure JS: CONNECT with a retained last will, QoS 0 PUBLISH (retained or
 * not), SUBSCRIBE, keep-alive pings, and reconnection with backoff. Enough for Home Assistant
 * discovery; no QoS 1/2 in flight tracking (state is re-published whole on every reconnect).
 */
export interface MqttOptions {
  /** mqtt://host:1883 or mqtts://host:8883 */
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  keepaliveS?: number;
  will?: { topic: string; payload: string; retain: boolean };
  /** Reconnect delays grow from 1 s to this (ms). */
  maxReconnectMs?: number;
}

const enc = new TextEncoder();

function str(s: string | Uint8Array): Buffer {
  const b = typeof s === "string" ? Buffer.from(enc.encode(s)) : Buffer.from(s);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function packet(first: number, body: Buffer): Buffer {
  const len: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    len.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([first, ...len]), body]);
}

/** CONNECT packet (exported for tests). */
export function connectPacket(o: MqttOptions): Buffer {
  let flags = 0x02; // clean session
  const payload = [str(o.clientId)];
  if (o.will) {
    flags |= 0x04 | (o.will.retain ? 0x20 : 0);
    payload.push(str(o.will.topic), str(o.will.payload));
  }
  if (o.username !== undefined) {
    flags |= 0x80;
    payload.push(str(o.username));
  }
  if (o.password !== undefined) {
    flags |= 0x40;
    payload.push(str(o.password));
  }
  const ka = Buffer.alloc(2);
  ka.writeUInt16BE(o.keepaliveS ?? 60);
  return packet(0x10, Buffer.concat([str("MQTT"), Buffer.from([4, flags]), ka, ...payload]));
}

const CONNACK_ERRORS = [
  "",
  "unacceptable protocol version",
  "client id rejected",
  "server unavailable",
  "bad user name or password",
  "not authorized",
];

export interface MqttClientEvents {
  connect: [];
  close: [reason: string];
  message: [topic: string, payload: Buffer];
}

export class MqttClient extends EventEmitter<MqttClientEvents> {
  private sock: Socket | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private connected = false;
  private closing = false;
  private attempts = 0;
  private nextId = 1;
  private pingTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  lastError = "";

  constructor(private readonly o: MqttOptions) {
    super();
  }

  get isConnected(): boolean {
    return this.connected;
  }

  connect(): void {
    if (this.closing) return;
    const u = new URL(this.o.url);
    const tls = u.protocol === "mqtts:";
    const port = Number(u.port) || (tls ? 8883 : 1883);
    const sock = tls
      ? tlsConnect({ host: u.hostname, port, servername: u.hostname })
      : netConnect({ host: u.hostname, port });
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    sock.setNoDelay(true);
    sock.once(tls ? "secureConnect" : "connect", () => sock.write(connectPacket(this.o)));
    sock.on("data", (d: Buffer) => this.onData(d));
    sock.on("error", (err) => {
      this.lastError = err.message;
    });
    sock.on("close", () => this.onClose(sock));
  }

  private onClose(sock: Socket): void {
    if (sock !== this.sock) return;
    const was = this.connected;
    this.connected = false;
    this.sock = null;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    if (was) this.emit("close", this.lastError || "connection closed");
    if (this.closing) return;
    this.attempts++;
    const delay = Math.min(this.o.maxReconnectMs ?? 60_000, 1000 * 2 ** Math.min(this.attempts - 1, 10));
    this.retryTimer = setTimeout(() => this.connect(), Math.round(delay * (0.8 + 0.4 * Math.random())));
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      if (this.buf.length < 2) return;
      let len = 0;
      let mul = 1;
      let i = 1;
      for (; ; i++) {
        if (i >= this.buf.length || i > 4) return;
        const b = this.buf[i] as number;
        len += (b & 0x7f) * mul;
        mul *= 128;
        if (b < 0x80) break;
      }
      const start = i + 1;
      if (this.buf.length < start + len) return;
      const type = (this.buf[0] as number) >> 4;
      const body = this.buf.subarray(start, start + len);
      this.buf = this.buf.subarray(start + len);
      this.onPacket(type, body);
    }
  }

  private onPacket(type: number, body: Buffer): void {
    if (type === 2) {
      const rc = body[1] ?? 255;
      if (rc !== 0) {
        this.lastError = `broker refused the connection: ${CONNACK_ERRORS[rc] ?? `code ${rc}`}`;
        this.sock?.destroy();
        return;
      }
      this.connected = true;
      this.attempts = 0;
      this.lastError = "";
      const ka = (this.o.keepaliveS ?? 60) * 1000;
      this.pingTimer = setInterval(() => this.sock?.write(Buffer.from([0xc0, 0])), ka / 2);
      this.pingTimer.unref();
      this.emit("connect");
    } else if (type === 3) {
      const tlen = body.readUInt16BE(0);
      const topic = body.toString("utf8", 2, 2 + tlen);
      // QoS 0 only (we subscribe at QoS 0, so the broker never sends a packet id).
      this.emit("message", topic, Buffer.from(body.subarray(2 + tlen)));
    }
  }

  /** Publish at QoS 0; false when not connected (the caller re-publishes on the next `connect`). */
  publish(topic: string, payload: string | Uint8Array, retain = false): boolean {
    if (!this.connected || !this.sock) return false;
    this.sock.write(packet(0x30 | (retain ? 1 : 0), Buffer.concat([str(topic), Buffer.from(payload)])));
    return true;
  }

  subscribe(topics: string[]): boolean {
    if (!this.connected || !this.sock || topics.length === 0) return false;
    const id = Buffer.alloc(2);
    id.writeUInt16BE(this.nextId);
    this.nextId = (this.nextId % 65535) + 1;
    const parts = topics.flatMap((t) => [str(t), Buffer.from([0])]);
    this.sock.write(packet(0x82, Buffer.concat([id, ...parts])));
    return true;
  }

  /** Flush what was written, send DISCONNECT (no last will) and close; no reconnect. */
  end(): Promise<void> {
    this.closing = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    const sock = this.sock;
    if (!sock) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        sock.destroy();
        resolve();
      }, 2000);
      sock.once("close", () => {
        clearTimeout(t);
        resolve();
      });
      if (this.connected) sock.end(Buffer.from([0xe0, 0]));
      else sock.destroy();
    });
  }
}
