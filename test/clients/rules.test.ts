// Every language client against the SAME protocol rules as the TypeScript library (src/protocol/):
// what each writes must parse with parseFragment/parseEvent and merge in StatusReader, merges match the
// library's, nasty strings round-trip, and bad input gives a clear message and a non-zero exit.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseEvent } from "../../src/protocol/events.ts";
import { parseFragment, updateStatus } from "../../src/protocol/fragment.ts";
import { type ReaderWarning, StatusReader } from "../../src/protocol/reader.ts";
import { tempDir } from "../helpers/tools.ts";
import { type ClientCli, cppClient, envWithDir, PY_CLIENT, python, SH_CLIENT, sh } from "./clients.ts";
import { NASTY } from "./nasty.ts";

const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const EVENT_NAME = /^\d{13}-\d+-\d{6}-[0-9a-f]{6}\.json$/;

function readFragment(dir: string, source: string) {
  const path = join(dir, "status.d", `${source}.json`);
  return parseFragment(readFileSync(path), statSync(path).mtimeMs).data;
}

function onlyEvent(dir: string) {
  const names = readdirSync(join(dir, "events", "new"));
  assert.equal(names.length, 1, `expected exactly one event file, got ${names.join(", ")}`);
  const name = names[0] as string;
  assert.match(name, EVENT_NAME);
  assert.deepEqual(readdirSync(join(dir, "events", "tmp")), [], "events/tmp must be empty after a write");
  const path = join(dir, "events", "new", name);
  return parseEvent(readFileSync(path), statSync(path).mtimeMs);
}

function withoutTime<T extends Record<string, unknown>>(o: T): Omit<T, "updated_at"> {
  const { updated_at: _u, ...rest } = o;
  return rest;
}

const clients: ClientCli[] = [python, sh];
let cpp: ClientCli | undefined;

const binDir = mkdtempSync(join(tmpdir(), "ew-cpp-rules-"));
before(() => {
  cpp = cppClient(binDir);
  clients.push(cpp);
});
after(() => rmSync(binDir, { recursive: true, force: true }));

for (const name of ["python", "sh", "cpp"] as const) {
  describe(`${name} client`, () => {
    const client = (): ClientCli => {
      const c = clients.find((x) => x.name === name);
      assert.ok(c, `${name} client not available`);
      return c;
    };

    test("set writes status.d/<source>.json that the TS parser accepts, stamped with updated_at", (t) => {
      const dir = tempDir(t);
      const r = client().set(dir, "cam-1", ["status=capturing", "photos=342", "ok=true", "gone=null", "ratio=0.5"]);
      assert.equal(r.code, 0, r.stderr);
      const data = readFragment(dir, "cam-1");
      assert.match(String(data.updated_at), ISO_MS_UTC);
      assert.deepEqual(withoutTime(data), { status: "capturing", photos: 342, ok: true, gone: null, ratio: 0.5 });
      assert.deepEqual(
        readdirSync(join(dir, "status.d")).filter((n) => n.startsWith(".")),
        [],
        "no temp file is left behind",
      );
    });

    test("updates merge like the TS library's updateStatus", async (t) => {
      const dir = tempDir(t);
      const ref = tempDir(t);
      const steps: [string[], Record<string, unknown>][] = client().nested
        ? [
            [["today.photos=1", "today.expected=750", "status=waiting"], {}],
            [["today.photos=2", "last.file=a.jpg"], {}],
            [["status=capturing", "last.ok=true"], {}],
          ]
        : [
            [["photos=1", "expected=750", "status=waiting"], {}],
            [["photos=2", "file=a.jpg"], {}],
            [["status=capturing", "ok=true"], {}],
          ];
      for (const [args] of steps) {
        const r = client().set(dir, "merge", args);
        assert.equal(r.code, 0, r.stderr);
        const patch: Record<string, unknown> = {};
        for (const a of args) {
          const [k, v] = a.split("=") as [string, string];
          let value: unknown = v;
          try {
            value = JSON.parse(v);
          } catch {}
          const keys = k.split(".");
          let cur = patch;
          for (const key of keys.slice(0, -1)) {
            cur[key] ??= {};
            cur = cur[key] as Record<string, unknown>;
          }
          cur[keys[keys.length - 1] as string] = value;
        }
        await updateStatus("merge", patch, { dir: ref });
      }
      assert.deepEqual(withoutTime(readFragment(dir, "merge")), withoutTime(readFragment(ref, "merge")));
    });

    test("nasty strings round-trip through the fragment and the event", (t) => {
      for (const [i, s] of NASTY.entries()) {
        const dir = tempDir(t);
        const r = client().set(dir, "nasty", [`s=${s}`]);
        assert.equal(r.code, 0, `case ${i}: ${r.stderr}`);
        assert.equal(readFragment(dir, "nasty").s, s, `fragment, case ${i}`);
        const e = client().event(dir, "nasty", "warning", s, { code: s, fields: [`f=${s}`] });
        assert.equal(e.code, 0, `case ${i}: ${e.stderr}`);
        const ev = onlyEvent(dir);
        assert.equal(ev.message, s, `event message, case ${i}`);
        assert.equal(ev.code, s, `event code, case ${i}`);
        assert.deepEqual(ev.fields, { f: s }, `event field, case ${i}`);
      }
    });

    test("event: maildir name, body {time, level, source, message, code, fields}", (t) => {
      const dir = tempDir(t);
      const r = client().event(dir, "timelapse", "error", "capture failed", {
        code: "CAP-001",
        fields: ["attempt=3", "camera=imx477"],
      });
      assert.equal(r.code, 0, r.stderr);
      const ev = onlyEvent(dir);
      assert.match(ev.time, ISO_MS_UTC);
      assert.deepEqual(
        { ...ev, time: "" },
        {
          time: "",
          level: "error",
          source: "timelapse",
          message: "capture failed",
          code: "CAP-001",
          fields: { attempt: 3, camera: "imx477" },
        },
      );
    });

    test("heartbeat creates a missing fragment and only touches an existing one", (t) => {
      const dir = tempDir(t);
      const r1 = client().heartbeat(dir, "beat");
      assert.equal(r1.code, 0, r1.stderr);
      assert.match(String(readFragment(dir, "beat").updated_at), ISO_MS_UTC);
      assert.equal(client().set(dir, "beat", ["status=idle"]).code, 0);
      const path = join(dir, "status.d", "beat.json");
      const before = readFileSync(path, "utf8");
      const past = new Date("2001-01-01T00:00:00Z");
      utimesSync(path, past, past);
      const r2 = client().heartbeat(dir, "beat");
      assert.equal(r2.code, 0, r2.stderr);
      assert.equal(readFileSync(path, "utf8"), before, "heartbeat must not change the content");
      assert.ok(statSync(path).mtimeMs > past.getTime(), "heartbeat must bump the mtime");
    });

    test("a bad source name is refused with a clear message, non-zero exit, nothing written", (t) => {
      const dir = tempDir(t);
      for (const bad of ["../x", "A B", "Cam", "_x", "x".repeat(65), "a/b", "é"]) {
        for (const r of [
          client().set(dir, bad, ["a=1"]),
          client().event(dir, bad, "info", "m"),
          client().heartbeat(dir, bad),
        ]) {
          assert.notEqual(r.code, 0, `source ${JSON.stringify(bad)} must be refused`);
          assert.match(r.stderr, /source name: expected/);
        }
      }
      assert.deepEqual(
        readdirSync(join(dir)).filter((n) => n !== "status.d" && n !== "events"),
        [],
      );
      for (const sub of ["status.d", "events/new"]) {
        try {
          assert.deepEqual(readdirSync(join(dir, sub)), [], `${sub} must stay empty`);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        }
      }
    });

    test("an unknown level is refused with a clear message and a non-zero exit", (t) => {
      const dir = tempDir(t);
      for (const bad of ["fatal", "ERROR", "", "warn"]) {
        const r = client().event(dir, "cam", bad, "m");
        assert.notEqual(r.code, 0, `level ${JSON.stringify(bad)} must be refused`);
        assert.match(r.stderr, /level: expected one of debug\|info\|warning\|error\|critical/);
      }
    });

    test("a malformed key=value and a bad status value are refused; the last good fragment stays", (t) => {
      const dir = tempDir(t);
      assert.equal(client().set(dir, "cam", ["status=idle", "n=1"]).code, 0);
      const before = readFileSync(join(dir, "status.d", "cam.json"), "utf8");
      for (const args of [["novalue"], ["=1"], ["status=bogus"], ["status=capturing", "bad key=1"]]) {
        const r = client().set(dir, "cam", args);
        assert.notEqual(r.code, 0, `${JSON.stringify(args)} must be refused`);
        assert.match(r.stderr, /expected/);
      }
      assert.equal(readFileSync(join(dir, "status.d", "cam.json"), "utf8"), before);
    });

    test("an unwritable status dir gives a clear message and a non-zero exit", (t) => {
      const dir = tempDir(t);
      writeFileSync(join(dir, "file"), "not a directory");
      const bad = join(dir, "file", "sub");
      for (const r of [client().set(bad, "cam", ["a=1"]), client().event(bad, "cam", "error", "m")]) {
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /cannot (create status directory|write)/);
      }
    });

    test("a fragment over 1 MiB and an event over 64 KiB are refused", (t) => {
      const dir = tempDir(t);
      // 11 × 100 kB (one argument may not exceed 128 KiB on Linux).
      const big = Array.from({ length: 11 }, (_, i) => `s${i}=${"x".repeat(100_000)}`);
      const r1 = client().set(dir, "big", big);
      assert.equal(r1.code, 1, r1.stderr);
      assert.match(r1.stderr, /1 MiB|1048576/);
      const r2 = client().event(dir, "big", "error", "y".repeat(70 * 1024));
      assert.equal(r2.code, 1, r2.stderr);
      assert.match(r2.stderr, /64 KiB/);
      const left = existsSync(join(dir, "events", "new")) ? readdirSync(join(dir, "events", "new")) : [];
      assert.deepEqual(left, [], "no event is written");
      assert.equal(existsSync(join(dir, "status.d", "big.json")), false, "no fragment is written");
    });

    test("the status dir comes from $EDGEWATCH_DIR when no dir is given", (t) => {
      const dir = tempDir(t);
      const env = envWithDir(dir);
      const c = client();
      const r =
        c.name === "python"
          ? spawnSync("python3", [PY_CLIENT, "set", "-s", "envdir", "n=1"], { encoding: "utf8", env })
          : c.name === "sh"
            ? spawnSync("dash", [SH_CLIENT, "set", "-s", "envdir", "n=1"], { encoding: "utf8", env })
            : null;
      const res = r ? { code: r.status, stderr: r.stderr } : c.set("", "envdir", ["n=1"], env);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(readFragment(dir, "envdir").n, 1);
    });
  });
}

test("fragments and events from every client merge in the StatusReader without a warning", async (t) => {
  const dir = tempDir(t);
  assert.ok(cpp);
  for (const c of [python, sh, cpp]) {
    assert.equal(c.set(dir, `from-${c.name}`, [`by_${c.name}=1`, "status=capturing"]).code, 0);
    assert.equal(c.event(dir, `from-${c.name}`, "error", `boom from ${c.name}`).code, 0);
  }
  mkdirSync(join(dir, "status.d"), { recursive: true });
  const warnings: ReaderWarning[] = [];
  const events: string[] = [];
  const reader = new StatusReader({
    dir,
    onEvent: (ev) => {
      events.push(`${ev.source}:${ev.message}`);
    },
    onWarning: (w) => warnings.push(w),
  });
  await reader.start();
  t.after(() => reader.stop());
  await reader.settle();
  const doc = reader.document();
  assert.deepEqual(warnings, []);
  assert.equal(doc.by_python, 1);
  assert.equal(doc.by_sh, 1);
  assert.equal(doc.by_cpp, 1);
  assert.equal(doc.status, "capturing");
  assert.deepEqual(Object.keys(doc.sources as object).sort(), ["from-cpp", "from-python", "from-sh"]);
  assert.deepEqual(events.sort(), ["from-cpp:boom from cpp", "from-python:boom from python", "from-sh:boom from sh"]);
  assert.deepEqual(readdirSync(join(dir, "events", "new")), [], "consumed events are removed");
});

test("sh client: a fragment in another layout is replaced with a warning; key:=JSON is inserted verbatim", (t) => {
  const dir = tempDir(t);
  assert.equal(python.set(dir, "mixed", ["today.photos=3", "status=idle"]).code, 0);
  const r = sh.set(dir, "mixed", ["n=1", 'last:={"ok":true,"files":[1,2]}']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /was not written by the shell client; replacing it/);
  const data = readFragment(dir, "mixed");
  assert.deepEqual(withoutTime(data), { n: 1, last: { ok: true, files: [1, 2] } });
  const r2 = sh.set(dir, "mixed", ["n=2"]);
  assert.equal(r2.stderr, "", "its own layout merges silently");
  assert.deepEqual(withoutTime(readFragment(dir, "mixed")), { n: 2, last: { ok: true, files: [1, 2] } });
});
