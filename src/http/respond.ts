import type { ServerResponse } from "node:http";
import { scrub } from "../config/secrets.ts";
import { type ErrorCode, httpErrorCode } from "../protocol/codes.ts";
import { describeValue } from "../protocol/errors.ts";
import { toJson } from "../protocol/json.ts";

/** A request the agent refuses: status + a message saying what was expected and what was got, and its code. */
export class HttpError extends Error {
  readonly code: ErrorCode;
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    code?: ErrorCode,
  ) {
    super(message);
    this.code = code ?? httpErrorCode(status);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  sendBody(res, status, `${toJson(value)}\n`, "application/json; charset=utf-8", headers);
}

export function sendBody(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // the last guard: no answer quotes a secret of the loaded config, whichever route built it
  const buf = typeof body === "string" ? Buffer.from(scrub(body)) : body;
  res.writeHead(status, {
    "Content-Type": contentType,
    "Content-Length": String(buf.length),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    ...headers,
  });
  res.end(buf);
}

/**
 * The one error answer: JSON `{error, status}` and its code in the `X-Edgewatch-Error-Code` header
 * (codes in src/protocol/codes.ts, docs/errors.md; the body keeps the shape clients already parse).
 */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
  code: ErrorCode = httpErrorCode(status),
) {
  sendJson(res, status, { error: message, status }, { ...headers, "X-Edgewatch-Error-Code": code });
}

/** Reads validated query parameters; each bad value is a 400 naming the parameter, the expectation and the value. */
export class Query {
  constructor(private readonly params: URLSearchParams) {}

  private one(name: string): string | undefined {
    const all = this.params.getAll(name);
    if (all.length > 1) throw new HttpError(400, `${name}: expected one value, got ${all.length}`);
    return all[0];
  }

  int(name: string, opts: { min: number; max: number; default: number }): number {
    const raw = this.one(name);
    if (raw === undefined || raw === "") return opts.default;
    if (!/^-?\d{1,12}$/.test(raw) || Number(raw) < opts.min || Number(raw) > opts.max) {
      throw new HttpError(
        400,
        `${name}: expected an integer from ${opts.min} to ${opts.max}, got ${describeValue(raw)}`,
      );
    }
    return Number(raw);
  }

  number(name: string, opts: { min: number; max: number; default: number }): number {
    const raw = this.one(name);
    if (raw === undefined || raw === "") return opts.default;
    const v = /^\d{1,9}(\.\d{1,6})?$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(v >= opts.min && v <= opts.max)) {
      throw new HttpError(400, `${name}: expected a number from ${opts.min} to ${opts.max}, got ${describeValue(raw)}`);
    }
    return v;
  }

  oneOf<T extends string>(name: string, values: readonly T[], def: T): T {
    const raw = this.one(name);
    if (raw === undefined || raw === "") return def;
    if (!(values as readonly string[]).includes(raw)) {
      throw new HttpError(400, `${name}: expected one of ${values.join("|")}, got ${describeValue(raw)}`);
    }
    return raw as T;
  }
}
