// The camera: health score, failures, success rate, the camera test, a stalled capture.
import { $, h, isObj, kv, numOf, setEmpty, stamp, tone } from "../../shared/dom.ts";
import { ago } from "../../shared/format.ts";
import { state } from "../state.ts";

export function renderCamera(): void {
  const cam = state.collectors.get("camera")?.data ?? (isObj(state.doc.camera) ? state.doc.camera : {});
  const score = numOf(cam.health_score);
  const fails = numOf(cam.consecutive_failures);
  const rate = numOf(cam.success_rate) ?? numOf(cam.success_ratio);
  const ageS = numOf(cam.last_capture_age_seconds);
  const sched = state.collectors.get("schedule")?.data ?? {};
  const stalled =
    typeof sched.stalled === "boolean" ? sched.stalled : typeof cam.stalled === "boolean" ? cam.stalled : undefined;
  const test = isObj(cam.test) ? cam.test : undefined;
  const testFails = numOf(test?.consecutive_failures) ?? 0;
  const testText =
    test === undefined || test.last_ok === null || test.last_ok === undefined
      ? test?.waiting_for
        ? `waiting for ${String(test.waiting_for)}`
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
    ["Success rate", rate === undefined ? undefined : `${(rate <= 1 ? rate * 100 : rate).toFixed(0)} %`],
    ["Last capture", ageS === undefined ? undefined : ago(ageS * 1000)],
    [
      "Last error",
      typeof cam.last_error === "string"
        ? cam.last_error
        : isObj(cam.last_error)
          ? `${cam.last_error.code ? `${String(cam.last_error.code)} ` : ""}${String(cam.last_error.message ?? "")}`
          : undefined,
    ],
    ["Camera test", testText],
    [
      "Capture stalled",
      stalled === undefined ? undefined : h("span", { "data-tone": stalled ? "bad" : "ok" }, stalled ? "yes" : "no"),
    ],
  ]);
}
