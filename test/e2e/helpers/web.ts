import { spawnSync } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { tempDir } from "../../helpers/tools.ts";

const root = join(import.meta.dirname, "..", "..", "..");

/**
 * Builds the dashboard with the real build script into a temp dir and points the agent at it
 * (EDGEWATCH_WEB_DIR is read when the dashboard module is created, i.e. by startAgent).
 */
export function buildWeb(t: TestContext): string {
  const out = join(tempDir(t, "ew-web-"), "web");
  const res = spawnSync(process.execPath, [join(root, "scripts", "build-web.mjs"), "--out", out], {
    encoding: "utf8",
    timeout: 120_000,
  });
  if (res.status !== 0) throw new Error(`build-web failed (${res.status}): ${res.stderr}`);
  return out;
}

/** Sets an environment variable for the duration of one test. */
export function withEnv(t: TestContext, name: string, value: string): void {
  const before = process.env[name];
  process.env[name] = value;
  t.after(() => {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  });
}

export interface RawRes {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request, body kept as bytes (compressed responses are not decoded). */
export function raw(url: string, headers: Record<string, string> = {}, method = "GET"): Promise<RawRes> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setTimeout(60_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.end();
  });
}

export interface SseFrame {
  event: string;
  data: string;
}

/** An open /api/events stream, parsed frame by frame. */
export interface SseStream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  frames: SseFrame[];
  comments: string[];
  /** Raw body of a refused (non-200) stream. */
  body: string;
  close(): void;
}

export function openSse(url: string): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Accept: "text/event-stream" }, agent: false }, (res) => {
      const stream: SseStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        frames: [],
        comments: [],
        body: "",
        close: () => req.destroy(),
      };
      let buf = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        if (stream.status !== 200) {
          stream.body += chunk;
          return;
        }
        buf += chunk;
        let i = buf.indexOf("\n\n");
        while (i >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = "message";
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) stream.comments.push(line.slice(1).trim());
            else if (line.startsWith("event:")) event = line.slice(6).trim();
            else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
          }
          if (data.length) stream.frames.push({ event, data: data.join("\n") });
          i = buf.indexOf("\n\n");
        }
      });
      res.on("error", () => {});
      resolve(stream);
    });
    req.on("error", (err) => {
      if ((err as NodeJS.ErrnoException).code !== "ECONNRESET") reject(err);
    });
    req.end();
  });
}
