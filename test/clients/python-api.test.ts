// The Python client's API (clients/python/edgewatch_status.py) used as a module, as a capture program
// would: keyword updates, nested merges, threads, events, and clear EdgewatchErrors for bad input.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseEvent } from "../../src/protocol/events.ts";
import { parseFragment } from "../../src/protocol/fragment.ts";
import { tempDir } from "../helpers/tools.ts";
import { PY_CLIENT } from "./clients.ts";

const SCRIPT = String.raw`
import json, math, os, sys, threading
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import edgewatch_status as ew
d = sys.argv[2]
out = {}
ew.update_status("cam", status="waiting", today={"photos": 1}, dir=d)
ew.update_status("cam", {"today": {"expected": 750}, "last": {"file": "a.jpg"}}, dir=d)
ew.update_status("cam", {"status": "capturing", "lone": "\ud800 lone surrogate", "tup": (1, 2)}, dir=d)
def worker(k):
    for i in range(50):
        ew.update_status("threads", {"t%d" % k: i + 1}, dir=d)
ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
ew.emit_event("cam", "critical", "disk full", code="DSK-001", fields={"free": 0}, dir=d)
def err(name, fn):
    try:
        fn(); out[name] = "no error"
    except ew.EdgewatchError as e:
        out[name] = "%s:%s" % (e.code, e)
err("nan", lambda: ew.update_status("cam", {"x": math.nan}, dir=d))
err("object", lambda: ew.update_status("cam", {"x": object()}, dir=d))
err("source", lambda: ew.update_status("../x", {"a": 1}, dir=d))
err("level", lambda: ew.emit_event("cam", "fatal", "m", dir=d))
err("message", lambda: ew.emit_event("cam", "info", "", dir=d))
err("status", lambda: ew.update_status("cam", status="bogus", dir=d))
err("partial", lambda: ew.update_status("cam", [1, 2], dir=d))
err("time", lambda: ew.emit_event("cam", "info", "m", time="yesterday", dir=d))
with open(os.path.join(d, "status.d", "garbage.json"), "w") as f:
    f.write("{not json")
out["garbage"] = ew.update_status("garbage", {"n": 1}, dir=d)["n"]
os.environ["EDGEWATCH_DIR"] = os.path.join(d, "envdir")
out["dir"] = ew.status_dir()
out["dir_arg"] = ew.status_dir("/x")
os.environ["EDGEWATCH_DIR"] = ""
out["dir_empty"] = ew.status_dir()
del os.environ["EDGEWATCH_DIR"]
out["dir_default"] = ew.status_dir()
print(json.dumps(out))
`;

test("Python client API: keyword and nested merges, threads, events, clear errors", (t) => {
  const dir = tempDir(t);
  const r = spawnSync("python3", ["-c", SCRIPT, PY_CLIENT, dir], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  const frag = (source: string) => {
    const p = join(dir, "status.d", `${source}.json`);
    return parseFragment(readFileSync(p), statSync(p).mtimeMs).data;
  };
  const cam = frag("cam");
  delete cam.updated_at;
  assert.deepEqual(cam, {
    status: "capturing",
    today: { photos: 1, expected: 750 },
    last: { file: "a.jpg" },
    lone: "\ud800 lone surrogate",
    tup: [1, 2],
  });
  const threads = frag("threads");
  for (let k = 0; k < 8; k++) assert.equal(threads[`t${k}`], 50, `thread ${k}'s last update is there`);

  const names = readdirSync(join(dir, "events", "new"));
  assert.equal(names.length, 1, "only the valid event was written");
  const ev = parseEvent(readFileSync(join(dir, "events", "new", names[0] as string)), 0);
  assert.deepEqual(
    { ...ev, time: "" },
    { time: "", level: "critical", source: "cam", message: "disk full", code: "DSK-001", fields: { free: 0 } },
  );

  const expectErr = (key: string, code: string, text: RegExp) => {
    const v = String(out[key]);
    assert.ok(v.startsWith(`${code}:`), `${key}: expected ${code}, got ${v}`);
    assert.match(v, text, key);
  };
  expectErr("nan", "EW_NOT_JSON", /expected JSON values/);
  expectErr("object", "EW_NOT_JSON", /expected JSON values/);
  expectErr("source", "EW_BAD_SOURCE", /source name: expected \[a-z0-9\]\[a-z0-9_-\]\{0,63\}.*got "\.\.\/x"/);
  expectErr("level", "EW_BAD_LEVEL", /expected one of debug\|info\|warning\|error\|critical, got "fatal"/);
  expectErr("message", "EW_EVENT_INVALID", /"message": expected a non-empty string/);
  expectErr("status", "EW_FRAGMENT_INVALID", /reserved key "status": expected one of .* got "bogus"/);
  expectErr("partial", "EW_FRAGMENT_INVALID", /expected an object to merge, got an array of 2/);
  expectErr("time", "EW_EVENT_INVALID", /"time": expected an ISO 8601 time, got "yesterday"/);
  assert.equal(out.garbage, 1);
  assert.equal(out.dir, join(dir, "envdir"));
  assert.equal(out.dir_arg, "/x");
  assert.equal(out.dir_default, "/run/edgewatch");
  assert.equal(out.dir_empty, "/run/edgewatch", "an empty EDGEWATCH_DIR counts as unset (docs/protocol.md 1)");
  assert.equal(frag("cam").status, "capturing", "refused updates keep the last good fragment");
});

test("the Python client is valid Python 3.7 syntax (the oldest version it supports)", () => {
  const check = `import ast, sys; ast.parse(open(sys.argv[1]).read(), feature_version=(3, 7)); print("ok")`;
  const r = spawnSync("python3", ["-c", check, PY_CLIENT], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "ok");
});
