import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { validateConfig } from "../../src/agent/config.ts";
import { EXAMPLE, recoveryRunbook } from "../../src/cli/runbook.ts";

// docs/recovery.md is `edgewatch runbook --example`; `npm run schema` regenerates it.
test("docs/recovery.md is what `edgewatch runbook --example` prints", () => {
  assert.equal(
    readFileSync("docs/recovery.md", "utf8"),
    recoveryRunbook(validateConfig(EXAMPLE, "(example)", {}), "/etc/edgewatch/config.yaml"),
    "docs/recovery.md is stale: run `npm run schema`",
  );
});

test("the runbook: levels 1–8 in order, in the device's own commands", () => {
  const config = validateConfig(
    {
      device: { id: "gym-cam", site: "balaruc" },
      state_dir: "/srv/ew",
      collectors: { system: { mounts: ["/", "/mnt/videos"] } },
      recovery: {
        reboots_per_day: 2,
        disk: { paths: ["/mnt/videos"] },
        watches: [
          {
            name: "rec",
            heartbeat_file: "/tmp/recorder_heartbeat.json",
            restart: { type: "systemd", unit: "recorder.service" },
          },
          { name: "stream", process: "cam1_stream.py" },
        ],
      },
    },
    "test",
    {},
  );
  const text = recoveryRunbook(config, "/etc/ew.yaml");
  const levels = [...text.matchAll(/^## Level (\d): (.*)$/gm)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(levels, [
    "1 restart the program (first try)",
    "2 read the logs (diagnose)",
    "3 restart everything",
    "4 reboot the device (last resort)",
    "5 deploy a fix",
    "6 check the disk",
    "7 check the camera",
    "8 full reset (only when everything else failed)",
  ]);
  assert.match(text, /^# Recovery runbook: gym-cam \(balaruc\)$/m);
  assert.match(text, /^sudo \/usr\/bin\/systemctl restart recorder\.service {3}# rec$/m);
  assert.match(text, /^# stream: no restart action configured/m);
  assert.match(text, /^sudo journalctl -u recorder\.service --since '1 hour ago' -p err$/m);
  assert.match(text, /^df -h \/ \/mnt\/videos$/m);
  assert.match(text, /^grep -E 'disk_\(would_\)\?delete' \/srv\/ew\/recovery\/recovery\.log/m);
  assert.match(text, /^edgewatch config check \/etc\/ew\.yaml$/m);
  assert.match(text, /at most 2 a day/);
});
