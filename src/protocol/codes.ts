/**
 * Every error code edgewatch uses, with what it means. EdgewatchError only takes a code listed here
 * (the compiler checks), HTTP error answers carry one in a header, and docs/errors.md is generated
 * from this list (`npm run schema`; test/docs/errors.test.ts fails when it is stale).
 */
export const ERROR_CODES = {
  // status protocol: writers and the reader
  EW_BAD_SOURCE: "A source name is not [a-z0-9][a-z0-9_-]{0,63} (it names the fragment file).",
  EW_BAD_LEVEL: "An event level is not one of debug, info, warning, error, critical.",
  EW_FRAGMENT_INVALID: "A status fragment is not a JSON object of the accepted shape (depth, size, key names).",
  EW_FRAGMENT_NOT_JSON: "A status fragment file is not valid UTF-8 JSON.",
  EW_FRAGMENT_TOO_BIG: "A status fragment is over the 1 MiB limit.",
  EW_EVENT_INVALID: "An event is not an object of the accepted shape (time, level, source, message, fields).",
  EW_EVENT_NOT_JSON: "An event file is not valid UTF-8 JSON.",
  EW_EVENT_TOO_BIG: "An event is over the 64 KiB limit.",
  EW_EVENT_WRITE: "An event could not be written into the events maildir (permissions, full disk).",
  EW_STATUS_WRITE: "A status fragment could not be written (permissions, full disk, missing folder).",
  EW_STATUS_READ: "The status folder could not be read.",
  EW_STATUS_DIR: "The status folder is missing or is not a folder.",
  EW_WRITE: "A file could not be written atomically (temporary file, fsync or rename failed).",
  EW_NOT_REGULAR_FILE: "A path the agent reads is a symbolic link, a FIFO, a socket or a device, not a regular file.",
  EW_FILE_TOO_BIG: "A file is over the size the agent reads whole.",
  // configuration and commands
  EW_CONFIG_INVALID: "The config file has problems; each one is listed with its key path.",
  EW_USAGE: "A command was given options or arguments it does not take.",
  EW_NO_STATUS_DIR: "`edgewatch status` found no status folder to read.",
  EW_STATUS_DIR_ACCESS: "`edgewatch status` may not read the status folder.",
  EW_NO_INTEGRATIONS: "The integrations folder (Prometheus, Grafana, systemd files) is not installed beside the CLI.",
  // jobs and transfers
  EW_JOB_RUNNING: "A job with this name is already running (its lock names the pid).",
  EW_LOCK: "A job's lock file could not be created or taken.",
  EW_LEDGER_WRITE: "A line could not be appended to a ledger (jobs, transfers).",
  EW_TRANSFER_SRC: "A transfer source is missing, unreadable, or neither a file nor a folder.",
  // notifications
  EW_OUTBOX_WRITE: "A notification could not be stored in the durable outbox.",
  // HTTP API: the `code` of every JSON error answer
  EW_HTTP_BAD_REQUEST: "400: a parameter or body is not what the route expects (the message says which).",
  EW_HTTP_UNAUTHORIZED: "401: a control route was called without the right bearer token.",
  EW_HTTP_FORBIDDEN: "403: control routes are disabled (no http.token set) or the path is outside the allowed folders.",
  EW_HTTP_NOT_FOUND: "404: no such route, file or item.",
  EW_HTTP_METHOD_NOT_ALLOWED: "405: the route exists but not with this method.",
  EW_HTTP_TIMEOUT: "408: the client did not send its whole request in time.",
  EW_HTTP_CONFLICT: "409: the action is already running.",
  EW_HTTP_TOO_LARGE: "413: the request body is over http.max_body_bytes.",
  EW_HTTP_UNSUPPORTED_MEDIA: "415: the request body is not JSON.",
  EW_HTTP_TOO_MANY_REQUESTS: "429: too many control requests; retry after the Retry-After header.",
  EW_HTTP_HEADERS_TOO_LARGE: "431: the request head is over http.max_header_bytes.",
  EW_HTTP_INTERNAL: "500: the agent failed while answering (logged on stderr); it keeps running.",
  EW_HTTP_NOT_CONFIGURED: "501: the action behind this route is not configured.",
  EW_HTTP_ACTION_FAILED: "502: the configured action ran and failed.",
  EW_HTTP_UNAVAILABLE: "503: the part that answers this is not running or not built (e.g. the dashboard).",
  EW_HTTP_ACTION_TIMEOUT: "504: the configured action did not finish in time and was killed.",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

const HTTP_CODES: Record<number, ErrorCode> = {
  400: "EW_HTTP_BAD_REQUEST",
  401: "EW_HTTP_UNAUTHORIZED",
  403: "EW_HTTP_FORBIDDEN",
  404: "EW_HTTP_NOT_FOUND",
  405: "EW_HTTP_METHOD_NOT_ALLOWED",
  408: "EW_HTTP_TIMEOUT",
  409: "EW_HTTP_CONFLICT",
  413: "EW_HTTP_TOO_LARGE",
  415: "EW_HTTP_UNSUPPORTED_MEDIA",
  429: "EW_HTTP_TOO_MANY_REQUESTS",
  431: "EW_HTTP_HEADERS_TOO_LARGE",
  500: "EW_HTTP_INTERNAL",
  501: "EW_HTTP_NOT_CONFIGURED",
  502: "EW_HTTP_ACTION_FAILED",
  503: "EW_HTTP_UNAVAILABLE",
  504: "EW_HTTP_ACTION_TIMEOUT",
};

/** The code of an HTTP error answer with this status. */
export function httpErrorCode(status: number): ErrorCode {
  return HTTP_CODES[status] ?? (status >= 500 ? "EW_HTTP_INTERNAL" : "EW_HTTP_BAD_REQUEST");
}

/** docs/errors.md. */
export function errorsMarkdown(): string {
  const rows = Object.entries(ERROR_CODES).map(
    ([code, meaning]) => `| \`${code}\` | ${meaning.replace(/\|/g, "\\|")} |`,
  );
  return `# Error codes

Every edgewatch error carries one of these codes: CLI messages end with \`[EW_…]\`; an HTTP error answer is
\`{"error": "<what was expected and what was got>", "status": <HTTP status>}\` with the code in its
\`X-Edgewatch-Error-Code\` header.
Generated from src/protocol/codes.ts by \`npm run schema\`; do not edit by hand.

| code | meaning |
| --- | --- |
${rows.join("\n")}
`;
}
