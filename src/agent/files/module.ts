import type { IncomingMessage, ServerResponse } from "node:http";
import { basename } from "node:path";
import { HttpError, Query, sendJson } from "../../http/respond.ts";
import type { Config } from "../config.ts";
import type { AgentModule, Route } from "../module.ts";
import { Glob, newestOf } from "./glob.ts";
import { atLeast, LOG_LEVELS, type LogFormat, type LogLevel, tailFile } from "./logs.ts";
import { serveFile } from "./serve.ts";
import type { RecentLogs } from "./types.ts";

const CAMERA_RE = /camera|capture|libcamera|picamera|raspistill|rpicam|v4l2|frame|cam\d/i;

export interface LogSource {
  name: string;
  path: string;
  format: LogFormat;
}

export interface LogFileLines {
  name: string;
  path: string;
  size?: number;
  partial?: boolean;
  error?: string;
  lines: { level: LogLevel | null; text: string; truncated?: true }[];
}

/** The configured log files (`files.logs`), each with its name (the file's name unless given). */
export function logSources(config: Config): LogSource[] {
  return config.files.logs.map((l) => ({ name: l.name ?? basename(l.path), path: l.path, format: l.format }));
}

/** The last `lines` lines of each file (a file that cannot be read says why instead). */
export function readLogs(
  sources: LogSource[],
  lines: number,
  filter?: (text: string, level: LogLevel | null) => boolean,
): Promise<LogFileLines[]> {
  return Promise.all(
    sources.map(async (l): Promise<LogFileLines> => {
      try {
        const r = await tailFile(l.path, { lines, format: l.format, ...(filter ? { filter } : {}) });
        return {
          name: l.name,
          path: l.path,
          size: r.size,
          partial: r.partial,
          lines: r.lines.map((x) => ({ level: x.level, text: x.text, ...(x.truncated ? { truncated: true } : {}) })),
        };
      } catch (err) {
        return {
          name: l.name,
          path: l.path,
          error: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          lines: [],
        };
      }
    }),
  );
}

/** GET /api/logs/recent: the last `limit` lines of every configured log file, error or camera lines only on request. */
export async function recentLogs(sources: LogSource[], type: RecentLogs["type"], limit: number): Promise<RecentLogs> {
  const filter =
    type === "errors"
      ? (_t: string, l: LogLevel | null) => atLeast(l, "error")
      : type === "camera"
        ? (t: string) => CAMERA_RE.test(t)
        : undefined;
  const files = await readLogs(sources, limit, filter);
  const entries = files.flatMap((f) => f.lines.map((line) => ({ file: f.name, ...line })));
  return {
    type,
    limit,
    count: Math.min(entries.length, limit),
    entries: entries.slice(-limit),
    ...(files.some((f) => f.error)
      ? { errors: files.filter((f) => f.error).map((f) => ({ file: f.name, error: f.error as string })) }
      : {}),
  };
}

const NO_LOGS = "no log files configured: set files.logs to a list of {path: /var/log/...}";

/**
 * The device's files: the newest photo and video (`files.photos`, `files.videos` globs) and the
 * configured log files. Everything is prepared from the config once; a request only reads files.
 */
export function filesModule(config: Config): AgentModule {
  const photoGlobs = config.files.photos.map((g) => new Glob(g));
  const videoGlobs = config.files.videos.map((g) => new Glob(g));
  const logs = logSources(config);
  const logNames = logs.map((l) => l.name);

  async function latest(req: IncomingMessage, res: ServerResponse, globs: Glob[], what: "photo" | "video") {
    const key = what === "photo" ? "photos" : "videos";
    if (globs.length === 0)
      throw new HttpError(
        404,
        `no ${what} location configured: set files.${key} to globs like /home/pi/${key}/*.${what === "photo" ? "jpg" : "mp4"}`,
      );
    const found = await newestOf(globs, config.files.max_scan_entries);
    if (!found)
      throw new HttpError(404, `no ${what} found matching files.${key}: ${globs.map((g) => g.pattern).join(", ")}`);
    await serveFile(req, res, found.path);
  }

  const routes: Route[] = [
    { method: "GET", path: "/latest/photo", handle: (req, res) => latest(req, res, photoGlobs, "photo") },
    { method: "GET", path: "/latest/video", handle: (req, res) => latest(req, res, videoGlobs, "video") },
    {
      method: "GET",
      path: "/logs",
      async handle(_req, res, url) {
        const q = new Query(url.searchParams);
        const lines = q.int("lines", { min: 1, max: 10_000, default: 50 });
        const level = url.searchParams.has("level") ? q.oneOf("level", LOG_LEVELS, "debug") : null;
        const file = logNames.length ? q.oneOf("file", logNames, logNames[0] as string) : null;
        if (logs.length === 0) throw new HttpError(404, NO_LOGS);
        const chosen = url.searchParams.has("file") ? logs.filter((l) => l.name === file) : logs;
        const files = await readLogs(chosen, lines, level ? (_t, l) => atLeast(l, level) : undefined);
        sendJson(res, 200, { lines, level, files });
      },
    },
    {
      method: "GET",
      path: "/api/logs/recent",
      async handle(_req, res, url) {
        const q = new Query(url.searchParams);
        const type = q.oneOf("type", ["errors", "camera", "all"] as const, "all");
        const limit = q.int("limit", { min: 1, max: 1000, default: 50 });
        if (logs.length === 0) throw new HttpError(404, NO_LOGS);
        sendJson(res, 200, await recentLogs(logs, type, limit));
      },
    },
  ];

  return { name: "files", start() {}, routes: () => routes };
}
