import assert from "node:assert/strict";
import { test } from "node:test";
import { alertNotice, dedupeKey, noticeText, publishedNotice } from "../../src/rules/text.ts";

test("one text for every alert notice, whoever raised it", () => {
  const a = { severity: "critical" as const, summary: "timelapse restarted 3 times" };
  assert.equal(noticeText("firing", a, 0), "CRITICAL: timelapse restarted 3 times");
  assert.equal(noticeText("escalated", a, 0), "CRITICAL: timelapse restarted 3 times");
  assert.equal(noticeText("resolved", { ...a, summary: "healthy again" }, 0), "RESOLVED: healthy again");
  assert.equal(
    noticeText("flapping", a, 0),
    "FLAPPING: timelapse restarted 3 times (fired repeatedly; quiet until it settles)",
  );
  assert.equal(
    noticeText("repeat", a, Date.UTC(2026, 1, 8)),
    "STILL FIRING: timelapse restarted 3 times (since 2026-02-08T00:00:00.000Z)",
  );
  assert.equal(dedupeKey("cpu", 5, "firing"), "cpu@5:firing");
  assert.equal(dedupeKey("cpu", 5, "repeat", "2"), "cpu@5:repeat:2");
});

test("an alert published without a notice (recovery, jobs) brings one per state and episode, in the same scheme", () => {
  const since = "2026-02-08T10:00:00.000Z";
  const a = { id: "recovery:cam", rule: "recovery", severity: "warning" as const, summary: "cam stale", since };
  const firing = publishedNotice({ ...a, state: "firing" });
  assert.equal(firing?.kind, "firing");
  assert.equal(firing?.level, "warning");
  assert.equal(firing?.origin, "state");
  assert.equal(firing?.text, "WARNING: cam stale");
  assert.equal(firing?.dedupeKey, dedupeKey("recovery:cam", Date.parse(since), "firing"));
  assert.equal(
    publishedNotice({ ...a, state: "firing" })?.dedupeKey,
    firing?.dedupeKey,
    "the same state again: same key",
  );
  const resolved = publishedNotice({ ...a, state: "resolved", summary: "cam fine" });
  assert.equal(resolved?.text, "RESOLVED: cam fine");
  assert.notEqual(resolved?.dedupeKey, firing?.dedupeKey);
  assert.equal(publishedNotice({ ...a, state: "pending" }), null);
  assert.equal(publishedNotice({ ...a, state: "flapping" }), null);
  const rules = alertNotice("firing", { ...a, state: "firing", level: "error" }, { episodeStart: 1 });
  assert.equal(rules.level, "error", "a rule's own level wins over its severity's");
});
