import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { mkdirp } from "./atomic.ts";
import { describeValue, EdgewatchError } from "./errors.ts";
import { parseTime } from "./fragment.ts";
import { isPlainObject, type JsonObject, jsonShapeProblem, jsonTextShapeProblem } from "./json.ts";
import { checkLevel, checkSource, isLevel, LEVELS, type Level, MAX_EVENT_BYTES, SOURCE_RE } from "./names.ts";
import { type DirOptions, layout, statusDir } from "./paths.ts";

export interface EventInput {
  level: Level;
  message: string;
  code?: string;
  fields?: JsonObject;
  /** ISO 8601; now when omitted. */
  time?: string;
}

export interface DeviceEvent {
  time: string;
  level: Level;
  source: string;
  message: string;
  code?: string;
  fields?: JsonObject;
}

let seq = 0;

/** Maildir name: 13-digit unix ms first so names sort in emission order. */
export function eventFileName(nowMs = Date.now()): string {
  seq = (seq + 1) % 1_000_000;
  const ms = String(nowMs).padStart(13, "0");
  return `${ms}-${process.pid}-${String(seq).padStart(6, "0")}-${randomBytes(3).toString("hex")}.json`;
}

/** Why an event is not acceptable, or null. */
export function checkEventValue(value: unknown): string | null {
  if (!isPlainObject(value)) return `expected a JSON object, got ${describeValue(value)}`;
  const shape = jsonShapeProblem(value);
  if (shape) return shape;
  if (!isLevel(value.level)) return `"level": expected one of ${LEVELS.join("|")}, got ${describeValue(value.level)}`;
  if (typeof value.message !== "string" || value.message === "") {
    return `"message": expected a non-empty string, got ${describeValue(value.message)}`;
  }
  if (typeof value.source !== "string" || !SOURCE_RE.test(value.source)) {
    return `"source": expected [a-z0-9][a-z0-9_-]{0,63}, got ${describeValue(value.source)}`;
  }
  if ("time" in value && parseTime(value.time) === null) {
    return `"time": expected an ISO 8601 time, got ${describeValue(value.time)}`;
  }
  if ("code" in value && typeof value.code !== "string")
    return `"code": expected a string, got ${describeValue(value.code)}`;
  if ("fields" in value && !isPlainObject(value.fields)) {
    return `"fields": expected an object, got ${describeValue(value.fields)}`;
  }
  return null;
}

export function parseEvent(buf: Buffer, mtimeMs: number): DeviceEvent {
  if (buf.length > MAX_EVENT_BYTES) {
    throw new EdgewatchError("EW_EVENT_TOO_BIG", `event is ${buf.length} bytes, over the 64 KiB limit`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch {
    throw new EdgewatchError("EW_EVENT_NOT_JSON", "not valid JSON (not UTF-8 text)");
  }
  // refused before parsing: a value nested thousands deep is never built
  const shape = jsonTextShapeProblem(text);
  if (shape) throw new EdgewatchError("EW_EVENT_INVALID", shape);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new EdgewatchError("EW_EVENT_NOT_JSON", `not valid JSON (${(err as Error).message})`);
  }
  const problem = checkEventValue(value);
  if (problem) throw new EdgewatchError("EW_EVENT_INVALID", problem);
  const v = value as JsonObject & DeviceEvent;
  const ev: DeviceEvent = {
    time:
      typeof v.time === "string"
        ? new Date(parseTime(v.time) as number).toISOString()
        : new Date(mtimeMs).toISOString(),
    level: v.level,
    source: v.source,
    message: v.message,
  };
  if (v.code !== undefined) ev.code = v.code;
  if (v.fields !== undefined) ev.fields = v.fields;
  return ev;
}

/**
 * Record an event for the agent: written to events/tmp, then renamed into events/new (maildir).
 * @example await emitEvent("timelapse", { level: "error", message: "capture failed", code: "CAP-001" })
 */
export async function emitEvent(source: string, input: EventInput, opts?: DirOptions): Promise<DeviceEvent> {
  checkSource(source);
  if (!isPlainObject(input))
    throw new EdgewatchError("EW_EVENT_INVALID", `expected an event object, got ${describeValue(input)}`);
  const ev: DeviceEvent = {
    time: input.time ?? new Date().toISOString(),
    level: checkLevel(input.level),
    source,
    message: input.message,
  };
  if (input.code !== undefined) ev.code = input.code;
  if (input.fields !== undefined) ev.fields = input.fields;
  const problem = checkEventValue(ev);
  if (problem) throw new EdgewatchError("EW_EVENT_INVALID", problem);
  const text = JSON.stringify(ev);
  if (Buffer.byteLength(text) > MAX_EVENT_BYTES) {
    throw new EdgewatchError(
      "EW_EVENT_TOO_BIG",
      `event would be ${Buffer.byteLength(text)} bytes, over the 64 KiB limit`,
    );
  }
  const l = layout(statusDir(opts));
  const name = eventFileName();
  try {
    await mkdirp(l.eventsTmp);
    await mkdirp(l.eventsNew);
    await fsp.writeFile(join(l.eventsTmp, name), text);
    await fsp.rename(join(l.eventsTmp, name), join(l.eventsNew, name));
  } catch (err) {
    await fsp.unlink(join(l.eventsTmp, name)).catch(() => {});
    throw new EdgewatchError("EW_EVENT_WRITE", `cannot write event to ${l.eventsNew}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return ev;
}
