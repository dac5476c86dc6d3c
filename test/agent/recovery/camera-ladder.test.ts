import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { heartbeat } from "../../../src/protocol/fragment.ts";
import { tempDir, waitFor } from "../../helpers/tools.ts";
import { readLines, readSteps, startRecovery } from "./harness.ts";

/** Writes the source's fragment the protocol's way (temp file, rename): a fresh heartbeat. */
const BEAT =
  'printf "{}" > "$1/status.d/.timelapse.json.tmp" && mv "$1/status.d/.timelapse.json.tmp" "$1/status.d/timelapse.json"';

test("watch ladder: camera recovery is tried before the restart, once per failure, and can end the failure itself", {
  timeout: 120_000,
}, async (t) => {
  const root = tempDir(t, "ew-camrec-");
  const statusDir = join(root, "run");
  const stateDir = join(root, "state");
  const marks = join(root, "marks");
  const fixed = join(root, "camera-fixes-it");
  const h = await startRecovery(t, {
    status_dir: statusDir,
    state_dir: stateDir,
    recovery: {
      startup_grace: 0,
      sd_notify: false,
      watches: [
        {
          name: "timelapse",
          source: "timelapse",
          stale_after: 1.5,
          restart_wait: 2,
          max_restarts: 3,
          escalate: "alert",
          // The camera recovery beats only once the "camera" is fixable; the restart never beats.
          camera_recover: {
            type: "camera",
            argv: ["sh", "-c", `echo camera >> "$0"; if [ -e "$2" ]; then ${BEAT}; fi`, marks, statusDir, fixed],
            timeout: "10s",
          },
          restart: { type: "command", argv: ["sh", "-c", 'echo restart >> "$0"', marks], timeout: "10s" },
        },
      ],
    },
  });
  const log = join(stateDir, "recovery", "recovery.log");
  await heartbeat("timelapse", { dir: statusDir });
  await waitFor("a healthy watch", () => h.mod.watches[0]?.phase === "healthy", 20_000);
  assert.equal(h.mod.watches[0]?.snapshot().next_step, "camera recovery, then restart");

  // 1. The program freezes; camera recovery does not help; the restart comes next.
  await waitFor("the restart after the camera recovery", () => readLines(marks).includes("restart"), 60_000);
  assert.deepEqual(readLines(marks), ["camera", "restart"]);
  await heartbeat("timelapse", { dir: statusDir }); // the restarted program beats
  await waitFor("recovered", () => readSteps(log).some((e) => e.step === "recovered"), 30_000);
  assert.deepEqual(
    readSteps(log).map((e) => e.step),
    ["detected", "camera_recover", "camera_recover_result", "restart", "restart_result", "recovered"],
  );

  // 2. Next failure: camera recovery is tried again first, and this time it is enough.
  writeFileSync(fixed, "");
  await waitFor(
    "recovered a second time",
    () => readSteps(log).filter((e) => e.step === "recovered").length === 2,
    60_000,
  );
  assert.deepEqual(readLines(marks), ["camera", "restart", "camera"], "no restart when the camera recovery worked");
  const second = readSteps(log)
    .slice(6)
    .map((e) => e.step);
  assert.deepEqual(second, ["detected", "camera_recover", "camera_recover_result", "recovered"]);
  const result = readSteps(log).filter((e) => e.step === "camera_recover_result");
  assert.equal(result[1]?.result, "ok");
});
