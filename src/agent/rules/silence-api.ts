import { z } from "zod";
import { parseDuration } from "../../config/kit.ts";
import { HttpError } from "../../http/respond.ts";
import type { Silence } from "../../rules/types.ts";
import { ruleDefinitions } from "./index.ts";

const silenceBody = z.strictObject({
  rule: z.enum(ruleDefinitions.map((d) => d.name) as [string, ...string[]]).optional(),
  source: z.string().min(1).max(64).optional(),
  duration: z.union([z.string(), z.number().positive()]).optional(),
  until: z.string().optional(),
  comment: z.string().max(500).optional(),
});

/** The longest silence POST /api/alerts/silence accepts: a forgotten one ends within a year. */
export const MAX_SILENCE_DAYS = 366;
const MAX_SILENCE_MS = MAX_SILENCE_DAYS * 86_400_000;

/** A time as ISO 8601; null for a value no Date can hold (never a RangeError in a route). */
const isoOrNull = (t: number): string | null => {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
};

export function silenceJson(s: Silence & { active?: boolean }): Record<string, unknown> {
  const { starts_at, ends_at, ...rest } = s;
  return {
    ...rest,
    ...(starts_at !== undefined ? { starts_at: isoOrNull(starts_at) } : {}),
    ...(ends_at !== undefined ? { ends_at: isoOrNull(ends_at) } : {}),
  };
}

/** POST /api/alerts/silence body → silence; 400 saying what was expected and what was got. */
export function parseSilence(body: unknown, now: number): Omit<Silence, "id" | "origin"> {
  if (body === undefined)
    throw new HttpError(400, 'body: expected JSON like {"rule":"cpu","duration":"1h"}, got nothing');
  const r = silenceBody.safeParse(body, { reportInput: true });
  if (!r.success) {
    const i = r.error.issues[0] as z.core.$ZodIssue;
    const where = i.path.length ? i.path.join(".") : "body";
    const got = "input" in i ? JSON.stringify(i.input) : "nothing";
    const msg =
      i.code === "unrecognized_keys"
        ? `unknown key${i.keys.length > 1 ? "s" : ""} ${i.keys.join(", ")}; expected rule, source, duration, until, comment`
        : i.code === "invalid_value"
          ? `expected one of ${i.values.join("|")}, got ${got}`
          : `${i.message}, got ${got}`;
    throw new HttpError(400, `${where}: ${msg}`);
  }
  const b = r.data;
  let ends: number;
  if (b.duration !== undefined && b.until !== undefined)
    throw new HttpError(400, "expected duration or until, got both");
  if (b.duration !== undefined) {
    const ms = typeof b.duration === "number" ? b.duration * 1000 : parseDuration(b.duration);
    if (ms === null || !(ms > 0))
      throw new HttpError(
        400,
        `duration: expected a duration like "30m" or "2h" (or seconds), got ${JSON.stringify(b.duration)}`,
      );
    if (ms > MAX_SILENCE_MS)
      throw new HttpError(400, `duration: expected at most ${MAX_SILENCE_DAYS}d, got ${JSON.stringify(b.duration)}`);
    ends = now + ms;
  } else if (b.until !== undefined) {
    const t = Date.parse(b.until);
    if (Number.isNaN(t)) throw new HttpError(400, `until: expected an ISO 8601 time, got ${JSON.stringify(b.until)}`);
    if (t <= now) throw new HttpError(400, `until: expected a time in the future, got ${b.until}`);
    if (t > now + MAX_SILENCE_MS)
      throw new HttpError(400, `until: expected a time at most ${MAX_SILENCE_DAYS} days ahead, got ${b.until}`);
    ends = t;
  } else throw new HttpError(400, 'expected "duration" (e.g. "1h") or "until" (ISO 8601): a silence must expire');
  return {
    ...(b.rule ? { rules: [b.rule] } : {}),
    ...(b.source ? { sources: [b.source] } : {}),
    starts_at: now,
    ends_at: ends,
    ...(b.comment ? { comment: b.comment } : {}),
  };
}
