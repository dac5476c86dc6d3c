import { promises as fsp } from "node:fs";
import { mkdirp, writeFileAtomicSync } from "./atomic.ts";
import { describeValue, EdgewatchError } from "./errors.ts";
import { deepMerge, isPlainObject, type JsonObject, jsonShapeProblem, jsonTextShapeProblem } from "./json.ts";
import { checkProgramMetrics } from "./metrics.ts";
import { checkSource, isStatus, MAX_FRAGMENT_BYTES, STATUSES } from "./names.ts";
import { type DirOptions, layout, statusDir } from "./paths.ts";
import { readRegularFileSync } from "./read-file.ts";

export interface ParsedFragment {
  data: JsonObject;
  /** When the fragment says it was updated: its `updated_at`, else the file's mtime. */
  updatedAtMs: number;
}

/** Why a fragment's bytes are not acceptable, or null when they are. Shared by reader and writers. */
export function checkFragmentValue(value: unknown): string | null {
  if (!isPlainObject(value)) return `expected a JSON object, got ${describeValue(value)}`;
  const shape = jsonShapeProblem(value);
  if (shape) return shape;
  if ("status" in value && !isStatus(value.status)) {
    return `reserved key "status": expected one of ${STATUSES.join("|")}, got ${describeValue(value.status)}`;
  }
  if ("updated_at" in value && parseTime(value.updated_at) === null) {
    return `reserved key "updated_at": expected an ISO 8601 time, got ${describeValue(value.updated_at)}`;
  }
  const metrics = "metrics" in value ? checkProgramMetrics(value.metrics) : null;
  if (metrics) return `reserved key "metrics": ${metrics}`;
  return null;
}

/** ISO 8601 → epoch ms; a time without zone is local time (as Python's `isoformat()` writes it). */
export function parseTime(v: unknown): number | null {
  if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(v)) {
    return null;
  }
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
}

/** Parse a fragment file's bytes. Throws an EdgewatchError whose message is the reason. */
export function parseFragment(buf: Buffer, mtimeMs: number): ParsedFragment {
  if (buf.length > MAX_FRAGMENT_BYTES) {
    throw new EdgewatchError("EW_FRAGMENT_TOO_BIG", `fragment is ${buf.length} bytes, over the 1 MiB limit`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch {
    throw new EdgewatchError("EW_FRAGMENT_NOT_JSON", "not valid JSON (not UTF-8 text)");
  }
  // refused before parsing: a value nested thousands deep is never built
  const shape = jsonTextShapeProblem(text);
  if (shape) throw new EdgewatchError("EW_FRAGMENT_INVALID", shape);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new EdgewatchError("EW_FRAGMENT_NOT_JSON", `not valid JSON (${(err as Error).message})`);
  }
  const problem = checkFragmentValue(value);
  if (problem) throw new EdgewatchError("EW_FRAGMENT_INVALID", problem);
  const data = value as JsonObject;
  return { data, updatedAtMs: parseTime(data.updated_at) ?? mtimeMs };
}

function readOwnFragment(path: string): JsonObject {
  try {
    return parseFragment(readRegularFileSync(path, MAX_FRAGMENT_BYTES).buf, 0).data;
  } catch (err) {
    // Missing, or bad (a previous crash cannot leave a torn file, but a human can): start afresh.
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || err instanceof EdgewatchError) return {};
    throw new EdgewatchError("EW_STATUS_READ", `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Folders this process already made sure of: the common case costs no system call. */
const readyDirs = new Set<string>();

async function ensureDir(path: string): Promise<void> {
  if (readyDirs.has(path)) return;
  try {
    await mkdirp(path);
  } catch (err) {
    throw new EdgewatchError("EW_STATUS_DIR", `cannot create status directory ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  readyDirs.add(path);
}

export async function writeFragment(source: string, data: JsonObject, opts?: DirOptions): Promise<void> {
  checkSource(source);
  const problem = checkFragmentValue(data);
  if (problem) throw new EdgewatchError("EW_FRAGMENT_INVALID", `${source}: ${problem}`);
  const text = JSON.stringify(data);
  if (Buffer.byteLength(text) > MAX_FRAGMENT_BYTES) {
    throw new EdgewatchError("EW_FRAGMENT_TOO_BIG", `${source}: fragment would be over the 1 MiB limit`);
  }
  const l = layout(statusDir(opts));
  await ensureDir(l.fragments);
  try {
    try {
      writeFileAtomicSync(l.fragment(source), text);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      readyDirs.delete(l.fragments); // the folder was removed under us: make it again, once
      await ensureDir(l.fragments);
      writeFileAtomicSync(l.fragment(source), text);
    }
  } catch (err) {
    throw new EdgewatchError("EW_STATUS_WRITE", `cannot write ${l.fragment(source)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Deep-merge `partial` into this source's own fragment and stamp `updated_at`.
 * Each program owns its source, so no other writer can race this read-modify-write.
 * @example await updateStatus("timelapse", { status: "capturing", today: { photos_captured: 342 } })
 */
export async function updateStatus(source: string, partial: JsonObject, opts?: DirOptions): Promise<JsonObject> {
  checkSource(source);
  if (!isPlainObject(partial)) {
    throw new EdgewatchError(
      "EW_FRAGMENT_INVALID",
      `${source}: expected an object to merge, got ${describeValue(partial)}`,
    );
  }
  const l = layout(statusDir(opts));
  await ensureDir(l.fragments);
  const current = readOwnFragment(l.fragment(source));
  const next = deepMerge(current, partial);
  next.updated_at = new Date().toISOString();
  await writeFragment(source, next, opts);
  return next;
}

/**
 * Say "I am alive" without changing any field: bumps the fragment's mtime (creates it when missing).
 * @example setInterval(() => heartbeat("recorder"), 10_000)
 */
export async function heartbeat(source: string, opts?: DirOptions): Promise<void> {
  checkSource(source);
  const path = layout(statusDir(opts)).fragment(source);
  const now = new Date();
  try {
    await fsp.utimes(path, now, now);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new EdgewatchError("EW_STATUS_WRITE", `cannot touch ${path}: ${(err as Error).message}`, { cause: err });
    }
    await writeFragment(source, { updated_at: now.toISOString() }, opts);
  }
}
