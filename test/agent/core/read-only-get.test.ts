import assert from "node:assert/strict";
import { test } from "node:test";
import { emitEvent } from "../../../src/protocol/events.ts";
import { updateStatus } from "../../../src/protocol/fragment.ts";
import { waitFor } from "../../helpers/tools.ts";
import { get, startTestAgent } from "./helpers.ts";

test("an error leaves /status when it is an hour old by itself (a deadline timer), and GETs never write state", {
  timeout: 60_000,
}, async (t) => {
  const a = await startTestAgent(t);
  const w = { dir: a.statusDir };
  await updateStatus("timelapse", { status: "capturing" }, w);
  // 59 min 58.5 s old: inside the hour now, out of it in 1.5 s
  const time = new Date(Date.now() - 3_600_000 + 1500).toISOString();
  await emitEvent("timelapse", { time, level: "error", message: "capture failed: camera timeout", code: "CAP-001" }, w);
  const errorsInState = () => (a.state.document.errors as unknown[] | undefined)?.length ?? 0;
  await waitFor("the error in /status", () => errorsInState() === 1);

  // Nobody reads /status: the document drops the error on its own when it ages out.
  await waitFor("the aged error gone from the document", () => errorsInState() === 0, 10_000);

  // Reading changes nothing: no document update, whatever is asked.
  let writes = 0;
  a.state.on("status", () => {
    writes++;
  });
  for (const path of ["/status", "/metrics", "/health", "/health/deep", "/api/health", "/api/history", "/api/alerts"]) {
    const r = await get(`${a.url}${path}`);
    assert.ok(r.status < 500, `${path}: ${r.status}`);
  }
  assert.deepEqual((await get(`${a.url}/status`)).json<{ errors: unknown[] }>().errors, []);
  assert.equal(writes, 0, "a GET wrote the device state");
});
