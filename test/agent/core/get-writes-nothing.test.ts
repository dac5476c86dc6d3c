import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { emitEvent } from "../../../src/protocol/events.ts";
import { updateStatus } from "../../../src/protocol/fragment.ts";
import { tempDir, waitFor } from "../../helpers/tools.ts";
import { get, startTestAgent } from "./helpers.ts";

/** Every file under `dir`: its size, mtime and a hash of its bytes. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else
        out[relative(dir, p)] =
          `${st.size} ${st.mtimeMs} ${createHash("sha256").update(readFileSync(p)).digest("hex").slice(0, 16)}`;
    }
  };
  walk(dir);
  return out;
}

test("a burst of every GET route the modules serve leaves the state and status files and the document as they were", {
  timeout: 60_000,
}, async (t) => {
  const media = tempDir(t, "ew-media-");
  writeFileSync(join(media, "a.jpg"), "jpeg");
  writeFileSync(join(media, "a.mp4"), "mp4");
  writeFileSync(join(media, "app.log"), "2026-01-01 10:00:00 ERROR camera timeout\n");
  // Long intervals: nothing of the agent's own writes (history flush, collector runs) falls in the burst.
  const a = await startTestAgent(t, {
    history: { flush_interval: "1h" },
    collectors: { system: { interval: "1h" }, thermal: { interval: "1h" } },
    files: {
      photos: [join(media, "*.jpg")],
      videos: [join(media, "*.mp4")],
      logs: [{ path: join(media, "app.log") }],
    },
  });
  const w = { dir: a.statusDir };
  await updateStatus("timelapse", { status: "capturing", today: { photos_captured: 3 } }, w);
  await emitEvent("timelapse", { level: "error", message: "capture failed", code: "CAP-001" }, w);
  await waitFor("the document and the error", () => (a.state.document.errors as unknown[] | undefined)?.length === 1);
  // Let the collectors' first runs (and the reactive ones after the change) finish.
  await waitFor("the first collector runs", () => a.state.collectors.has("system") && a.state.collectors.has("camera"));
  await new Promise((r) => setTimeout(r, 1500));

  const routes = a.runtime.modules.flatMap((m) => m.routes?.() ?? []).filter((r) => r.method === "GET" && !r.prefix);
  const paths = routes.map((r) => r.path).filter((p) => p !== "/api/events"); // a stream, not a read
  for (const p of ["/status", "/metrics", "/health/deep", "/api/health", "/api/dashboard", "/config", "/logs"])
    assert.ok(paths.includes(p), `${p} is served`);

  const before = { state: snapshot(a.stateDir), status: snapshot(a.statusDir), doc: JSON.stringify(a.state.document) };
  const mediaBefore = snapshot(media);
  let writes = 0;
  a.state.on("status", () => {
    writes++;
  });
  const burst = await Promise.all(
    [1, 2, 3].flatMap(() =>
      paths.map(async (p) => {
        const r = await get(`${a.url}${p}${p === "/api/metrics/history" ? "?hours=1" : ""}`);
        return `${p} ${r.status}`;
      }),
    ),
  );
  assert.ok(
    burst.every((s) => !/ 5\d\d$/.test(s) || /\/health\/deep 503$/.test(s)),
    burst.join(", "),
  );
  assert.equal(writes, 0, "a GET changed the device document");
  assert.equal(JSON.stringify(a.state.document), before.doc);
  assert.deepEqual(snapshot(a.stateDir), before.state, "a GET wrote into state_dir");
  assert.deepEqual(snapshot(a.statusDir), before.status, "a GET wrote into status_dir");
  assert.deepEqual(snapshot(media), mediaBefore, "a GET wrote into the served files");
  assert.ok(Object.keys(before.status).length > 0, "the status dir has files to compare");
});
