// The camera: health score, failures, success rate, the camera test, a stalled capture.

import type { CameraData, ScheduleData } from "../../shared/api.ts";
import { $, h, kv, setEmpty, stamp, tone } from "../../shared/dom.ts";
import { ago } from "../../shared/format.ts";

export function renderCamera(cam: CameraData | undefined, schedule: ScheduleData | undefined): void {
  const score = cam?.health_score ?? undefined;
  const fails = cam?.consecutive_failures;
  const rate = cam?.success_rate ?? undefined;
  const ageS = cam?.last_capture_age_seconds ?? undefined;
  const stalled = schedule?.stalled ?? undefined;
  const test = cam?.test ?? undefined;
  const testFails = test?.consecutive_failures ?? 0;
  const lastError = cam?.last_error;
  const testText =
    test === undefined || test.last_ok === null
      ? test?.waiting_for
        ? `waiting for ${test.waiting_for}`
        : undefined
      : test.last_ok === true
        ? h("span", { "data-tone": "ok" }, "passed ", stamp(test.last_run))
        : h("span", { "data-tone": "bad" }, `failed ${testFails}× in a row, last `, stamp(test.last_run));
  setEmpty(
    "camera-kv",
    score === undefined && fails === undefined && rate === undefined && ageS === undefined && test === undefined,
  );
  kv($("camera-kv"), [
    [
      "Health",
      score === undefined
        ? "no data"
        : h("span", { class: "pill", "data-tone": tone(100 - score, 30, 60) }, `${Math.round(score)} / 100`),
    ],
    ["Consecutive failures", fails === undefined ? undefined : String(fails)],
    ["Success rate", rate === undefined ? undefined : `${(rate * 100).toFixed(0)} %`],
    ["Last capture", ageS === undefined ? undefined : ago(ageS * 1000)],
    ["Last error", lastError ? `${lastError.code ? `${lastError.code} ` : ""}${lastError.message}` : undefined],
    ["Camera test", testText],
    [
      "Capture stalled",
      stalled === undefined ? undefined : h("span", { "data-tone": stalled ? "bad" : "ok" }, stalled ? "yes" : "no"),
    ],
  ]);
}
