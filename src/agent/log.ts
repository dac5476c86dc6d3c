import { scrub, scrubDeep } from "../config/secrets.ts";
import type { Logger } from "./module.ts";

/**
 * `inner` with every secret of the loaded config replaced by <redacted> in messages and fields,
 * so no warning or error line quotes a token, a password or a credential URL, whatever produced it
 * (a failing command's argv, a channel's error, a reader warning quoting a file).
 */
export function redactingLogger(inner: Logger): Logger {
  const wrap =
    (level: keyof Logger) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (fields === undefined) inner[level](scrub(msg));
      else inner[level](scrub(msg), scrubDeep(fields));
    };
  return { debug: wrap("debug"), info: wrap("info"), warn: wrap("warn"), error: wrap("error") };
}
