import { join } from "node:path";
import { PROFILE_SOURCE, type Profile } from "./simulator.ts";

export interface DeviceSpec {
  id: string;
  site: string;
  tags: string[];
  profile: Profile;
  /** What it is, in words (also the camera model in its photos' EXIF). */
  what: string;
}

/** The three devices of the fleet demo. */
export const FLEET: DeviceSpec[] = [
  {
    id: "garden-timelapse",
    site: "garden",
    tags: ["timelapse", "outdoor"],
    profile: "timelapse",
    what: "timelapse camera",
  },
  { id: "gym-recorder", site: "gym", tags: ["video"], profile: "gym", what: "gym recorder" },
  { id: "shop-door", site: "shop", tags: ["surveillance"], profile: "surveillance", what: "surveillance camera" },
];

const ms = (s: number) => `${Math.max(1, Math.round(s * 1000))}ms`;

/** The agent config of one demo device: status, files, the hub (through its relay), a watchdog. */
export function agentConfig(
  spec: DeviceSpec,
  dir: string,
  relayPort: number,
  hubKey: string,
  sink: string,
  o: { pushEvery: number; captureEvery: number; freezeEvery: number },
) {
  const source = PROFILE_SOURCE[spec.profile];
  const beat = Math.min(o.captureEvery, 5);
  return {
    device: { id: spec.id, site: spec.site, tags: spec.tags },
    status_dir: join(dir, "status"),
    state_dir: join(dir, "state"),
    http: { bind: "127.0.0.1", port: 0 },
    files: {
      photos: [`${join(dir, "pics")}/*.jpg`],
      videos: [`${join(dir, "videos")}/*.mp4`],
      logs: [{ path: join(dir, `${source}.log`), name: source, format: "python" }],
    },
    history: { interval: ms(o.pushEvery) },
    // a push hung on a cut link gives up after 2 intervals (at least 2 s), as a flaky network would make it
    hub: {
      url: `http://127.0.0.1:${relayPort}`,
      enroll_key: hubKey,
      interval: ms(o.pushEvery),
      timeout: ms(Math.max(2, 2 * o.pushEvery)),
    },
    notify: { channels: [{ type: "webhook", name: "demo-sink", url: sink }] },
    recovery: {
      startup_grace: 0,
      sd_notify: false,
      reboot: { type: "command", argv: ["true"] },
      watches: [
        {
          name: source,
          source,
          stale_after: ms(3 * beat),
          // what `systemctl restart` would be on a device: the demo restarts the program when this file is touched
          restart: { type: "command", argv: ["touch", join(dir, "control", "restart")] },
          escalate: "alert",
          // each program freezes once per round of the fleet: a window of one round keeps restarts below the limit
          ...(o.freezeEvery ? { window: ms(o.freezeEvery * FLEET.length) } : {}),
        },
      ],
    },
  };
}
