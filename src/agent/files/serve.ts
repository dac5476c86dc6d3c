import type { IncomingMessage, ServerResponse } from "node:http";
import { basename, extname } from "node:path";
import { HttpError } from "../../http/respond.ts";
import { EdgewatchError } from "../../protocol/errors.ts";
import { openRegularFile } from "../../protocol/read-file.ts";

const TYPES: Record<string, string> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".webp": "image/webp",
  ".gif": "image/gif",
  ".mp4": "video/mp4",
  ".m4v": "video/mp4",
  ".mov": "video/quicktime",
  ".mkv": "video/x-matroska",
  ".webm": "video/webm",
  ".avi": "video/x-msvideo",
  ".h264": "video/h264",
};

export function contentTypeOf(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
}

/** Parse a single `bytes=` range against `size`. null: ignore the header (serve 200); "unsatisfiable": 416. */
export function parseRange(header: string, size: number): { start: number; end: number } | null | "unsatisfiable" {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null; // malformed or multiple ranges: RFC 9110 lets us ignore Range
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return null;
  if (a === "") {
    const n = Number(b);
    if (n === 0) return "unsatisfiable";
    if (size === 0) return null; // "the last N bytes" of nothing: no valid Content-Range exists; 200 with the empty body
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  if (!Number.isSafeInteger(start) || start >= size) return "unsatisfiable";
  if (end < start) return null;
  return { start, end };
}

/**
 * Stream one file: Content-Type, Content-Length, Last-Modified, ETag, conditional GET (304),
 * single Range (206) with If-Range, 416 for unsatisfiable ranges, HEAD without a body. Memory stays
 * bounded by the stream's 64 KiB buffer whatever the file's size.
 */
export async function serveFile(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  let fh: import("node:fs/promises").FileHandle;
  let st: import("node:fs").Stats;
  try {
    // never through a symlink (it may point outside the folder), never a FIFO or device
    ({ fh, stat: st } = await openRegularFile(path));
  } catch (err) {
    if (err instanceof EdgewatchError)
      throw new HttpError(404, `${basename(path)} is not served: ${err.message.replace(path, "it")}`);
    throw new HttpError(
      404,
      `file vanished before it could be served: ${basename(path)} (${(err as NodeJS.ErrnoException).code})`,
    );
  }
  let handedOff = false;
  try {
    const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    const lastModified = new Date(Math.floor(st.mtimeMs / 1000) * 1000).toUTCString();
    const headers: Record<string, string> = {
      "Content-Type": contentTypeOf(path),
      "Last-Modified": lastModified,
      ETag: etag,
      "Accept-Ranges": "bytes",
      "Cache-Control": "no-cache",
      "Content-Disposition": `inline; filename="${basename(path).replace(/[^\w.-]/g, "_")}"`,
      "X-Content-Type-Options": "nosniff",
    };
    const inm = req.headers["if-none-match"];
    const ims = req.headers["if-modified-since"];
    const notModified =
      inm !== undefined
        ? inm.split(",").some((t) => t.trim() === etag || t.trim() === `W/${etag}` || t.trim() === "*")
        : ims !== undefined && Date.parse(ims) >= Date.parse(lastModified);
    if (notModified) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    let start = 0;
    let end = st.size - 1;
    let status = 200;
    const rangeHeader = req.headers.range;
    const ifRange = req.headers["if-range"];
    const rangeApplies =
      rangeHeader !== undefined && (ifRange === undefined || ifRange === etag || ifRange === lastModified);
    if (rangeApplies && st.size >= 0) {
      const r = parseRange(rangeHeader, st.size);
      if (r === "unsatisfiable") {
        throw new HttpError(
          416,
          `range ${JSON.stringify(rangeHeader.slice(0, 60))} is outside the file's ${st.size} bytes`,
          {
            "Content-Range": `bytes */${st.size}`,
          },
        );
      }
      if (r) {
        start = r.start;
        end = r.end;
        status = 206;
        headers["Content-Range"] = `bytes ${start}-${end}/${st.size}`;
      }
    }
    headers["Content-Length"] = String(Math.max(0, end - start + 1));
    res.writeHead(status, headers);
    if (req.method === "HEAD" || st.size === 0) {
      res.end();
      return;
    }
    handedOff = true;
    await streamRange(fh, res, start, end);
  } finally {
    if (!handedOff) await fh.close().catch(() => {});
  }
}

const CHUNK = 64 * 1024;

/**
 * Copy [start, end] of the file to the response through two reused 64 KiB buffers: a buffer is
 * refilled only after the socket has taken its previous contents, so memory per download is fixed
 * (no per-chunk allocations for the GC to catch up with) and a slow reader just slows the loop.
 */
async function streamRange(
  fh: import("node:fs/promises").FileHandle,
  res: ServerResponse,
  start: number,
  end: number,
): Promise<void> {
  const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  let closed = false;
  let wake: () => void = () => {};
  const onClose = () => {
    closed = true;
    wake(); // a write whose callback never comes once the socket is gone
  };
  res.once("close", onClose);
  try {
    let pos = start;
    let i = 0;
    let pending: Promise<void> | null = null;
    while (pos <= end && !closed) {
      const buf = bufs[i++ % 2] as Buffer;
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, end - pos + 1), pos);
      if (bytesRead === 0) break; // the file shrank under us
      pos += bytesRead;
      if (pending) await pending; // the other buffer is free again once its write completed
      if (closed) break;
      pending = new Promise<void>((resolve) => {
        wake = resolve;
        res.write(buf.subarray(0, bytesRead), () => resolve());
      });
    }
    if (pending) await pending;
    if (!closed) {
      if (pos <= end)
        res.destroy(); // short file: never send fewer bytes than Content-Length promised
      else res.end();
    }
  } finally {
    res.off("close", onClose);
    await fh.close().catch(() => {});
  }
}
