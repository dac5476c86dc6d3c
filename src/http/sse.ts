import type { IncomingMessage, ServerResponse } from "node:http";
import { constants, createGzip, type Gzip } from "node:zlib";
import { scrub } from "../config/secrets.ts";
import { toJson } from "../protocol/json.ts";

export interface SseOptions {
  /** Most concurrent streams; one more gets 503 + Retry-After (the page then polls). */
  maxClients: number;
  /** Interval of the heartbeat comment (and `ping` event the page uses to detect a dead link). */
  heartbeatMs: number;
  /** A client whose unsent backlog exceeds this is dropped (it reconnects and gets a fresh snapshot). */
  maxBacklogBytes: number;
  /** The browser's reconnect delay, sent as `retry:`. */
  retryMs: number;
  /** What the 503 answer tells a refused client to do instead. */
  refusedHint?: string;
  /** The heartbeat frame (default: a comment plus a `ping` event). */
  heartbeatText?: () => string;
  /**
   * gzip the stream for clients that accept it, flushed after every frame (each frame still arrives at
   * once). Repetitive JSON shrinks ~40×; each compressed stream holds ~64 KiB of zlib state, so the
   * agent leaves it off and the hub turns it on.
   */
  compress?: boolean;
}

/** Where a stream's frames go: the response itself, or a gzip stream piped into it. */
interface Sink {
  write(text: string): void;
  /** Bytes accepted but not yet handed to the socket. */
  pending(): number;
  end(): void;
}

function plainSink(res: ServerResponse): Sink {
  return { write: (t) => res.write(t), pending: () => res.writableLength, end: () => res.end() };
}

function gzipSink(res: ServerResponse): Sink {
  const gz: Gzip = createGzip({ level: 6, windowBits: 13, memLevel: 6 });
  gz.pipe(res);
  res.once("close", () => gz.destroy());
  return {
    write(text) {
      gz.write(text);
      gz.flush(constants.Z_SYNC_FLUSH);
    },
    pending: () => gz.writableLength + gz.readableLength + res.writableLength,
    end: () => gz.end(),
  };
}

export const DEFAULT_SSE: SseOptions = {
  maxClients: 16,
  heartbeatMs: 15_000,
  maxBacklogBytes: 512 * 1024,
  retryMs: 2000,
};

/**
 * Server-Sent Events fan-out. Costs nothing with no client connected: no timer runs and
 * broadcast() returns at once. The heartbeat timer exists only while at least one stream is open.
 */
export class SseHub {
  private readonly clients = new Map<ServerResponse, Sink>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Streams ever opened and refused (for /metrics). */
  opened = 0;
  refused = 0;
  dropped = 0;

  constructor(private readonly opts: SseOptions = DEFAULT_SSE) {}

  get size(): number {
    return this.clients.size;
  }

  /** Opens a stream; `snapshot` gives the first event (the full current state). */
  open(req: IncomingMessage, res: ServerResponse, snapshot: () => { event: string | null; data: unknown }): void {
    if (this.closed || this.clients.size >= this.opts.maxClients) {
      this.refused++;
      const body = JSON.stringify({
        error: `too many live-event streams: expected at most ${this.opts.maxClients}, got one more; ${this.opts.refusedHint ?? "poll /status instead or retry later"}`,
      });
      res.writeHead(503, {
        "Content-Type": "application/json; charset=utf-8",
        "Retry-After": "10",
        "Content-Length": Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    const gzip = this.opts.compress === true && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-transform",
      Connection: "keep-alive",
      // nginx buffers proxied responses unless told not to.
      "X-Accel-Buffering": "no",
      ...(gzip ? { "Content-Encoding": "gzip", Vary: "Accept-Encoding" } : {}),
    });
    req.socket.setNoDelay(true);
    req.socket.setKeepAlive(true, this.opts.heartbeatMs);
    this.clients.set(res, gzip ? gzipSink(res) : plainSink(res));
    this.opened++;
    const done = () => this.remove(res);
    res.on("close", done);
    res.on("error", done);
    const first = snapshot();
    this.write(res, `retry: ${this.opts.retryMs}\n${frame(first.event, first.data)}`);
    if (!this.timer) {
      this.timer = setInterval(() => this.heartbeat(), this.opts.heartbeatMs);
      this.timer.unref();
    }
  }

  /** Sends one event to every open stream; the JSON is serialised once. A null event sends a `data:` line only. */
  broadcast(event: string | null, data: unknown): void {
    if (this.clients.size === 0) return;
    const text = frame(event, data);
    for (const res of [...this.clients.keys()]) this.write(res, text);
  }

  /** Ends every stream (agent shutdown). */
  close(): void {
    this.closed = true;
    for (const [res, sink] of [...this.clients]) {
      sink.end();
      this.remove(res);
    }
  }

  private heartbeat(): void {
    // A comment keeps proxies from timing the stream out; the ping lets the page notice a dead link.
    const text = this.opts.heartbeatText?.() ?? `: heartbeat\nevent: ping\ndata: ${Date.now()}\n\n`;
    for (const res of [...this.clients.keys()]) this.write(res, text);
  }

  private write(res: ServerResponse, text: string): void {
    const sink = this.clients.get(res);
    if (!sink || res.writableEnded || res.destroyed) {
      this.remove(res);
      return;
    }
    if (sink.pending() > this.opts.maxBacklogBytes) {
      this.dropped++;
      res.destroy();
      this.remove(res);
      return;
    }
    sink.write(scrub(text)); // no secret of the loaded config goes out on the live stream
  }

  private remove(res: ServerResponse): void {
    if (!this.clients.delete(res)) return;
    if (this.clients.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}

/** One SSE frame; JSON never contains a raw newline, so one `data:` line suffices. */
export function frame(event: string | null, data: unknown): string {
  return `${event === null ? "" : `event: ${event}\n`}data: ${toJson(data)}\n\n`;
}
