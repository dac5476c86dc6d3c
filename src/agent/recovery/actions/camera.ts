import { promises as fsp } from "node:fs";
import { z } from "zod";
import { duration } from "../../../config/kit.ts";
import { runCommand } from "../../../lib/spawn.ts";
import { argvSchema, defineAction, type RecoveryAction } from "./types.ts";

const schema = () =>
  z
    .strictObject({
      type: z.literal("camera"),
      argv: argvSchema().describe(
        'Camera command, e.g. ["libcamera-still", "-n", "-t", "1", "-o", "/tmp/ew-test.jpg"]',
      ),
      expect_file: z
        .string()
        .min(1)
        .optional()
        .describe("When set, the command only succeeds if it left this file, non-empty and newer than the start"),
      timeout: duration().default(30_000).describe("Kill the camera command after this"),
    })
    .describe("Camera test or recovery command");

export type CameraSpec = z.output<ReturnType<typeof schema>>;

/**
 * `{type: camera, argv, expect_file?}`: a camera test or recovery command. With `expect_file`, the
 * command must also leave that file behind, non-empty and written after the run started (a capture
 * command that exits 0 without a picture is a failed camera test).
 */
export function cameraAction(spec: CameraSpec): RecoveryAction {
  const label = `camera: ${spec.argv.join(" ")}`;
  return {
    kind: "camera",
    label,
    argvs: [spec.argv],
    async run() {
      const started = Date.now();
      const r = await runCommand(spec.argv, spec.timeout, label);
      if (!r.ok || !spec.expect_file) return r;
      try {
        const st = await fsp.stat(spec.expect_file);
        if (st.size === 0) return { ...r, ok: false, result: "failed", error: `${spec.expect_file} is empty` };
        if (st.mtimeMs < started - 1000) {
          return { ...r, ok: false, result: "failed", error: `${spec.expect_file} was not rewritten by the command` };
        }
        return r;
      } catch {
        return {
          ...r,
          ok: false,
          result: "failed",
          error: `expected the command to write ${spec.expect_file}; it did not`,
        };
      }
    },
  };
}

export const camera = defineAction({ type: "camera", schema, create: cameraAction });
