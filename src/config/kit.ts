import { z } from "zod";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** "30s", "5m", "1h30m" → milliseconds; null when malformed. */
export function parseDuration(text: string): number | null {
  const parts = text.match(/\d+(?:\.\d+)?(?:ms|s|m|h|d)/g);
  if (!parts || parts.join("") !== text) return null;
  let ms = 0;
  for (const p of parts) {
    const m = DURATION_RE.exec(p);
    if (!m) return null;
    ms += Number(m[1]) * (UNITS[m[2] as string] as number);
  }
  return ms;
}

/** A duration written as "90s", "5m", "1h30m", or a number of seconds; parsed to milliseconds. */
export const duration = () =>
  z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
    if (typeof v === "number") return v * 1000;
    const ms = parseDuration(v);
    if (ms === null) {
      ctx.addIssue({
        code: "custom",
        message: `expected a duration like "30s", "5m" or "1h30m", got ${JSON.stringify(v)}`,
      });
      return z.NEVER;
    }
    return ms;
  });

/** http(s) URL; `htp:/x` and friends are rejected with "expected a URL". */
export const httpUrl = () => z.url({ protocol: /^https?$/, error: "expected an http(s) URL" });

export const port = () => z.number().int().min(0).max(65535);

/** A 0–100 percentage threshold. */
export const percent = () => z.number().min(0).max(100);
