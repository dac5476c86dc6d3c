// The C++ client's API (clients/cpp/edgewatch_status.hpp), compiled with -Wall -Wextra -Werror: what it
// writes is read back with the TypeScript parser; its JSON parser reads what JSON.stringify writes; bad
// input gives a clear edgewatch::Error.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseEvent } from "../../src/protocol/events.ts";
import { parseFragment } from "../../src/protocol/fragment.ts";
import { requireTool, tempDir } from "../helpers/tools.ts";
import { CPP_HEADER_DIR, CXXFLAGS, root } from "./clients.ts";
import { NASTY } from "./nasty.ts";

const frag = (dir: string, source: string) => {
  const path = join(dir, "status.d", `${source}.json`);
  return parseFragment(readFileSync(path), statSync(path).mtimeMs).data;
};

test("C++ client API: escaping, parsing, merging, numbers, events and clear errors", (t) => {
  if (!requireTool(t, "g++")) return;
  const dir = tempDir(t);
  const bin = join(dir, "api_test");
  const src = join(root, "test", "clients", "fixtures", "api_test.cpp");
  const cc = spawnSync("g++", [...CXXFLAGS, `-I${CPP_HEADER_DIR}`, "-o", bin, src], { encoding: "utf8" });
  assert.equal(cc.status, 0, `g++ ${CXXFLAGS.join(" ")} failed:\n${cc.stderr}`);
  const nastyFile = join(dir, "nasty.json");
  // JSON.stringify escapes controls as \u00XX and \n, keeps non-ASCII raw; add \u escapes and a surrogate pair too.
  const extra = ["\u00e9\ud83c\udfa5 escaped as \\u", "tab\there"];
  writeFileSync(
    nastyFile,
    `${JSON.stringify([...NASTY, ...extra]).slice(0, -1)},"\\u00e9\\ud83c\\udfa5 escaped","\\/slash"]`,
  );
  const r = spawnSync(bin, [dir, nastyFile], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);

  const nasty = frag(dir, "nasty");
  [...NASTY, ...extra, "\u00e9\ud83c\udfa5 escaped", "/slash"].forEach((s, i) => {
    assert.equal(nasty[`s${i}`], s, `string ${i} round-trips`);
  });

  const api = frag(dir, "api");
  assert.match(String(api.updated_at), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  delete api.updated_at;
  assert.deepEqual(api, {
    today: { photos: 2, expected: 750 },
    status: "capturing",
    ok: true,
    none: null,
    after_discard: true,
    last: { file: "a.jpg" },
    num: { tenth: 0.1, big: 1e300, neg: -0.5, three: 3, long: 123456789012, min: -(2 ** 63) },
  });
  const raw = readFileSync(join(dir, "status.d", "api.json"), "utf8");
  assert.match(raw, /"min":-9223372036854775808\b/, "64-bit integers are written exactly");
  assert.match(raw, /"tenth":0\.1,/, "doubles are written in their shortest form");

  const names = readdirSync(join(dir, "events", "new"));
  assert.equal(names.length, 1);
  assert.match(names[0] as string, /^\d{13}-\d+-\d{6}-[0-9a-f]{6}\.json$/);
  const evPath = join(dir, "events", "new", names[0] as string);
  const ev = parseEvent(readFileSync(evPath), 0);
  assert.deepEqual(
    { ...ev, time: "" },
    {
      time: "",
      level: "error",
      source: "api",
      message: "capture failed",
      code: "CAP-001",
      fields: { attempt: 3, cam: "imx477" },
    },
  );

  const lines = new Map(
    r.stdout
      .trim()
      .split("\n")
      .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)] as [string, string]),
  );
  const expectErr = (key: string, code: string, text: RegExp) => {
    const line = lines.get(key) ?? "(missing)";
    assert.ok(line.startsWith(`${code}:`), `${key}: expected ${code}, got ${line}`);
    assert.match(line, text, key);
  };
  expectErr("utf8", "EW_NOT_UTF8", /expected valid UTF-8/);
  expectErr("nan", "EW_NOT_JSON", /expected a finite number/);
  expectErr("source", "EW_BAD_SOURCE", /source name: expected \[a-z0-9\]\[a-z0-9_-\]\{0,63\}.*got "\.\.\/x"/);
  expectErr("level", "EW_BAD_LEVEL", /expected one of debug\|info\|warning\|error\|critical, got "fatal"/);
  expectErr("status", "EW_FRAGMENT_INVALID", /reserved key "status": expected one of .* got "bogus"/);
  expectErr("keypath", "EW_BAD_KEY", /expected keys joined by dots/);
  expectErr("fields", "EW_EVENT_INVALID", /"fields": expected an object, got 3/);
  for (const k of ["parse1", "parse2", "parse3", "parse4", "parse5", "parse6"]) {
    expectErr(k, "EW_NOT_JSON", /not valid JSON: at byte \d+: expected .*, got/);
  }
  assert.equal(lines.get("dup"), '{"a":{"x":1},"b":2,"c":0}');
  assert.equal(lines.get("garbage"), "1");
  // The refused updates left the last good fragment as it was.
  assert.equal(frag(dir, "api").status, "capturing");
  assert.equal(readdirSync(join(dir, "events", "new")).length, 1);
});
