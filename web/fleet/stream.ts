// GET /api/v1/stream read with fetch (so it can send Authorization), parsed frame by frame;
// reconnects with a growing delay; a watchdog notices when no byte came for STALE_MS.
import type { StreamMessage } from "./types.ts";

/** The hub sends a keepalive every 15 s: 35 s without a byte means the link is gone. */
export const STALE_MS = 35_000;

export interface StreamEvents {
  message(m: StreamMessage): void;
  /** Any byte arrived (frames and keepalives alike). */
  alive(): void;
  /** Connected (true) or lost (false, with why). */
  link(up: boolean, why?: string): void;
  /** 401/403: retrying with the same token cannot help. */
  refused(status: number, message: string): void;
}

/** Splits an event stream into the data of its frames (comments and other fields ignored). */
export class SseParser {
  private buf = "";
  push(chunk: string): string[] {
    this.buf += chunk;
    const out: string[] = [];
    for (;;) {
      const m = /\r?\n\r?\n/.exec(this.buf);
      if (!m) break;
      const block = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      const data: string[] = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith("data:")) data.push(line.slice(line[5] === " " ? 6 : 5));
      }
      if (data.length) out.push(data.join("\n"));
    }
    return out;
  }
}

export function openStream(url: string, auth: () => string | null, on: StreamEvents): () => void {
  let stopped = false;
  let ctrl: AbortController | null = null;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | null = null;
  let timedOut = false;

  const arm = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      timedOut = true;
      on.link(false, `no data from the hub for ${STALE_MS / 1000} s`);
      ctrl?.abort();
    }, STALE_MS);
  };

  const loop = async () => {
    let attempt = 0;
    while (!stopped) {
      ctrl = new AbortController();
      timedOut = false;
      try {
        const token = auth();
        const res = await fetch(url, {
          headers: { Accept: "text/event-stream", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
          cache: "no-store",
          signal: ctrl.signal,
        });
        if (res.status === 401 || res.status === 403) {
          let msg = `the hub refused the token (${res.status})`;
          try {
            const j = (await res.json()) as { error?: string };
            if (j.error) msg = j.error;
          } catch {}
          on.refused(res.status, msg);
          return;
        }
        if (!res.ok || !res.body) throw new Error(`the hub answered ${res.status}`);
        arm();
        on.link(true);
        attempt = 0;
        const parser = new SseParser();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          arm();
          on.alive();
          for (const data of parser.push(value)) {
            let m: StreamMessage;
            try {
              m = JSON.parse(data) as StreamMessage;
            } catch {
              continue; // a frame we cannot read is skipped; the next snapshot repairs the view
            }
            on.message(m);
          }
        }
        throw new Error("the hub closed the stream");
      } catch (err) {
        clearTimeout(watchdog);
        if (stopped) return;
        // The watchdog has said why already.
        if (!timedOut) on.link(false, (err as Error).message);
      }
      // 1 s, 2 s, 4 s … 30 s, with jitter so a restarted hub is not hit by every page at once.
      const delay = Math.min(30_000, 1000 * 2 ** attempt++) * (0.75 + Math.random() * 0.5);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, delay);
      });
      wake = null;
    }
  };
  void loop();
  // Coming back to the tab or the network retries at once.
  const now = () => wake?.();
  addEventListener("online", now);
  return () => {
    stopped = true;
    clearTimeout(watchdog);
    removeEventListener("online", now);
    ctrl?.abort();
    wake?.();
  };
}
