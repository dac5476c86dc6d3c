// The pages' link to a server: JSON reads, and a live Server-Sent Events stream that reconnects,
// falls back to polling when the stream keeps failing, and notices a stream gone silent.

/** GET a JSON body; a non-2xx answer throws `<path>: HTTP <status>`. */
export async function getJson(path: string): Promise<unknown> {
  const res = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

export type LinkMode = "connecting" | "live" | "polling" | "lost";

export interface LiveLinkOptions {
  /** The event stream, e.g. /api/events. */
  url: string;
  /** Handlers by event name; each gets the frame's parsed JSON (a frame that is not JSON is ignored). */
  events: Record<string, (data: unknown) => void>;
  /** One polling round while the stream is down; throws when the server did not answer. */
  poll: () => Promise<void>;
  pollMs: number;
  /** No frame for this long (the server pings well within it) → the link is presumed dead. */
  staleMs: number;
  /** After the stream was given up for polling, try it again this much later. */
  retryStreamMs: number;
  /** Called whenever the mode or the last contact changed (draw the connection state). */
  onChange: () => void;
}

/**
 * One live link. The browser's EventSource reconnects by itself; after repeated failures (or a
 * 503 "too many streams", which closes it for good) the link polls instead and tries the stream
 * again later. `check()` (called once a second by the page) restarts a stream that has said
 * nothing for too long, which a half-open connection (a phone that changed networks) does.
 */
export class LiveLink {
  mode: LinkMode = "connecting";
  /** When a frame or a poll answer last arrived (ms since the epoch; 0: never). */
  lastContact = 0;
  private es: EventSource | null = null;
  private openedAt = 0;
  private failures = 0;
  private pollTimer: number | undefined;

  constructor(private readonly opts: LiveLinkOptions) {}

  /** No contact for longer than staleMs: what is on screen is stale. */
  get stale(): boolean {
    return this.lastContact > 0 && Date.now() - this.lastContact > this.opts.staleMs;
  }

  /** The mode to show: "lost" once the link is stale, whatever it was. */
  get shownMode(): LinkMode {
    return this.stale ? "lost" : this.mode;
  }

  /** Something arrived from the server. */
  contact(): void {
    this.lastContact = Date.now();
    if (this.mode === "lost" || this.mode === "connecting")
      this.setMode(this.es !== null && this.es.readyState === 1 /* OPEN */ ? "live" : "polling");
    else this.opts.onChange();
  }

  setMode(mode: LinkMode): void {
    this.mode = mode;
    this.opts.onChange();
  }

  start(): void {
    if (typeof EventSource === "undefined") {
      this.startPolling();
      return;
    }
    const es = new EventSource(this.opts.url);
    this.es = es;
    this.openedAt = Date.now();
    for (const [name, fn] of Object.entries(this.opts.events)) {
      es.addEventListener(name, (e) => {
        this.contact();
        try {
          fn(JSON.parse((e as MessageEvent).data));
        } catch {
          /* a frame we do not understand is ignored */
        }
      });
    }
    es.onopen = () => {
      this.failures = 0;
      this.stopPolling();
      this.setMode("live");
      this.contact();
    };
    es.onerror = () => {
      this.failures++;
      // Say so at once: the browser is reconnecting, and what is on screen may be stale.
      this.setMode("lost");
      if (es.readyState === EventSource.CLOSED || this.failures >= 3) {
        es.close();
        if (this.es === es) this.es = null;
        this.startPolling();
        setTimeout(() => {
          if (!this.es) this.start();
        }, this.opts.retryStreamMs);
      }
      this.opts.onChange();
    };
  }

  /** Restart a stream that has been silent for too long (call it from a 1 s tick). */
  check(): void {
    const now = Date.now();
    if (this.es && now - this.openedAt > this.opts.staleMs && this.stale) {
      this.es.close();
      this.es = null;
      this.start();
    }
  }

  private startPolling(): void {
    this.setMode("polling");
    if (this.pollTimer !== undefined) return;
    const tick = () =>
      this.opts.poll().catch(() => {
        this.setMode("lost");
      });
    void tick();
    this.pollTimer = window.setInterval(tick, this.opts.pollMs);
  }

  private stopPolling(): void {
    if (this.pollTimer !== undefined) window.clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }
}
