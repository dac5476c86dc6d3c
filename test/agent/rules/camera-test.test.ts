import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { updateStatus } from "../../../src/protocol/fragment.ts";
import { tempDir, waitFor as waitForBase } from "../../helpers/tools.ts";
import { get, startTestAgent } from "../core/helpers.ts";

const waitFor = <T>(what: string, check: () => T | Promise<T>) => waitForBase(what, check, 120_000);

// biome-ignore lint/suspicious/noExplicitAny: JSON answers from the agent, inspected field by field
type Json = any;

test("real agent: the periodic camera test waits out encoding, runs right after a photo while capturing, and its failures alert", async (t) => {
  const dir = tempDir(t, "ew-camtest-");
  const statusDir = join(dir, "status");
  mkdirSync(statusDir);
  const w = { dir: statusDir };
  const runs = join(dir, "runs");
  const broken = join(dir, "BROKEN");
  const frag = join(statusDir, "status.d", "timelapse.json");
  // The device is encoding when the agent starts: the first test (due at once) must wait.
  await updateStatus("timelapse", { status: "creating_video" }, w);
  const a = await startTestAgent(t, {
    status_dir: statusDir,
    collectors: {
      camera: {
        interval: "1s",
        test: {
          // Records the device status it ran under (the writer's fragment), fails while BROKEN exists.
          argv: ["sh", "-c", 'cat "$1" >> "$2"; echo >> "$2"; test ! -e "$3"', "camera-test", frag, runs, broken],
          every: "1s",
          first_after: "0s",
          timeout: "10s",
        },
      },
    },
  });
  const camTest = async () => (await get(`${a.url}/api/camera/status`)).json<Json>().camera?.test;
  const count = () => (existsSync(runs) ? readFileSync(runs, "utf8").split("\n").filter(Boolean).length : 0);

  await waitFor(
    "the agent to see the encoding",
    async () => (await get(`${a.url}/status`)).json<Json>().status === "creating_video",
  );
  // The test was due at start; give a wrong implementation time to run it during the encode.
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(count(), 0, "no test while encoding");
  await updateStatus("timelapse", { status: "idle" }, w);
  const passed = await waitFor("a passing test once idle", async () => {
    const c = await camTest();
    return c?.last_ok === true ? c : null;
  });
  assert.equal(passed.consecutive_failures, 0);
  assert.match(passed.command, /^camera: sh -c /);
  assert.ok(!readFileSync(runs, "utf8").includes("creating_video"), "never ran while encoding");

  // Capturing: a due test waits for the next photo and runs right after it.
  await updateStatus("timelapse", { status: "capturing" }, w);
  await waitFor("the test waiting for a photo", async () => {
    const c = await camTest();
    return c?.waiting_for === "the next photo (the test runs right after one)";
  });
  const before = count();
  await updateStatus("timelapse", { last_capture: { time: new Date().toISOString(), success: true } }, w);
  await waitFor("a test right after the photo", () => count() === before + 1);

  // Broken camera: failures in a row raise camera_test_failing (warning at 2, critical at 3).
  writeFileSync(broken, "");
  await updateStatus("timelapse", { status: "idle" }, w);
  const alert = await waitFor("camera_test_failing critical", async () => {
    const f = (await get(`${a.url}/api/alerts`)).json<Json>().firing;
    return f.find((x: Json) => x.id === "camera_test_failing" && x.severity === "critical");
  });
  assert.match(
    alert.summary,
    /^Camera test failed \d+ times in a row: camera: sh -c .* failed|^Camera test failed \d+ times in a row/,
  );
  const m = (await get(`${a.url}/metrics`)).body;
  assert.match(m, /^edgewatch_camera_test_success\{[^}]*\} 0$/m);
});
