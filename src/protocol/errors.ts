import type { ErrorCode } from "./codes.ts";

/** Every edgewatch error carries a stable code (EW_…, catalogued in ./codes.ts) so scripts and docs can refer to it. */
export class EdgewatchError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = "EdgewatchError";
  }
}

/** Short, safe description of a received value for "expected X, got Y" messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") {
    const s = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(s);
  }
  return String(value);
}
