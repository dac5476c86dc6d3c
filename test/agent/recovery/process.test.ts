import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { validateConfig } from "../../../src/agent/config.ts";
import { processMatches } from "../../../src/agent/recovery/probes.ts";
import { requireTool, tempDir, waitFor } from "../../helpers/tools.ts";
import { startRecovery } from "./harness.ts";

test("process names: /proc/PID/comm, or the base name of any argument, exactly", () => {
  assert.ok(processMatches("ffmpeg", "ffmpeg\n", ["ffmpeg", "-i", "x"]));
  assert.ok(processMatches("cam1_stream.py", "python3\n", ["python3", "/opt/cam/cam1_stream.py", "--fps", "2"]));
  assert.ok(processMatches("loop.sh", "sh\n", ["/bin/sh", "-e", "loop.sh"]));
  assert.ok(processMatches("recorder", "python3\n", ["/opt/venv/bin/recorder"]), "an argv[0] longer than comm");
  assert.ok(!processMatches("cam1_stream", "python3\n", ["python3", "/opt/cam/cam1_stream.py"]), "no prefix match");
  assert.ok(!processMatches("cam", "python3\n", ["python3", "/opt/cam/cam1_stream.py"]), "no directory match");
  assert.ok(!processMatches("python", "python3\n", ["python3", "x.py"]));
  assert.throws(
    () => validateConfig({ recovery: { watches: [{ name: "c", process: "/opt/cam/cam1_stream.py" }] } }, "test"),
    /process.*a program name without a directory, e.g. ffmpeg or cam1_stream.py/s,
  );
});

test("process watch by script name: a real python3 and sh program are seen, and their death is alerted", {
  timeout: 60_000,
}, async (t) => {
  const python = requireTool(t, "python3");
  if (!python) return;
  const root = tempDir(t, "ew-procname-");
  const py = join(root, "cam1_stream.py");
  writeFileSync(py, "import time\nwhile True:\n    time.sleep(1)\n");
  const sh = join(root, "uploader-loop.sh");
  writeFileSync(sh, "while :; do sleep 1; done\n");
  const cam = spawn(python, [py], { stdio: "ignore" });
  const loop = spawn("sh", [sh], { stdio: "ignore" });
  t.after(() => {
    cam.kill("SIGKILL");
    loop.kill("SIGKILL");
  });
  const h = await startRecovery(t, {
    status_dir: join(root, "run"),
    state_dir: join(root, "state"),
    recovery: {
      sd_notify: false,
      startup_grace: 0,
      watches: [
        { name: "cam", process: "cam1_stream.py", check_every: 0.2 },
        { name: "uploader", process: "uploader-loop.sh", check_every: 0.2 },
      ],
    },
  });
  const phase = (n: string) => h.mod.watches.find((w) => w.name === n)?.phase;
  await waitFor("both watches healthy", () => phase("cam") === "healthy" && phase("uploader") === "healthy", 20_000);
  cam.kill("SIGKILL");
  await waitFor("the cam alert", () => h.agent.state.alerts.get("recovery:cam")?.state === "firing", 20_000);
  assert.match(h.agent.state.alerts.get("recovery:cam")?.summary ?? "", /no process named "cam1_stream.py"/);
  assert.equal(phase("uploader"), "healthy", "the shell program still runs");
  loop.kill("SIGKILL");
  await waitFor("the uploader alert", () => h.agent.state.alerts.get("recovery:uploader")?.state === "firing", 20_000);
});
