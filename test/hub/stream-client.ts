// A fleet stream client as the page reads it: fetch with an Authorization header, `data:` frames.
import type { StreamMessage } from "../../src/hub/api-types.ts";
import { waitFor } from "./helpers.ts";

export interface StreamClient {
  status: number;
  messages: StreamMessage[];
  comments: string[];
  /** The first message after `from` (an index into messages) that passes `pick`. */
  next<T extends StreamMessage>(what: string, pick: (m: StreamMessage) => m is T, from?: number): Promise<T>;
  close(): void;
}

export async function openStream(url: string, headers: Record<string, string> = {}): Promise<StreamClient> {
  const ctl = new AbortController();
  const res = await fetch(`${url}/api/v1/stream`, { headers, signal: ctl.signal });
  const messages: StreamMessage[] = [];
  const comments: string[] = [];
  if (res.ok && res.body) {
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = "";
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buf += dec.decode(value, { stream: true });
          let i = buf.indexOf("\n\n");
          while (i >= 0) {
            for (const line of buf.slice(0, i).split("\n")) {
              if (line.startsWith("data: ")) messages.push(JSON.parse(line.slice(6)) as StreamMessage);
              else if (line.startsWith(":")) comments.push(line);
            }
            buf = buf.slice(i + 2);
            i = buf.indexOf("\n\n");
          }
        }
      } catch {
        // aborted
      }
    })();
  } else {
    await res.text();
  }
  return {
    status: res.status,
    messages,
    comments,
    next: (what, pick, from = 0) => waitFor(what, () => messages.slice(from).find(pick) ?? null) as Promise<never>,
    close: () => ctl.abort(),
  };
}
