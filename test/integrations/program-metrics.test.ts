import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { emitEvent } from "../../src/protocol/events.ts";
import { updateStatus } from "../../src/protocol/fragment.ts";
import { checkProgramMetrics } from "../../src/protocol/metrics.ts";
import { get, startTestAgent, until } from "../agent/core/helpers.ts";

test("metrics key: Prometheus naming rules, reserved prefix and labels, types, counters, duplicates", () => {
  const ok = (v: unknown) => assert.equal(checkProgramMetrics(v), null, JSON.stringify(v));
  const bad = (v: unknown, re: RegExp) => assert.match(checkProgramMetrics(v) ?? "(accepted)", re, JSON.stringify(v));
  ok({});
  ok({ recorder_upload_queue_size: 3, recorder_disk_free_bytes: 5.1e9 });
  ok({ uploads: { type: "counter", help: "Uploads done", samples: [{ labels: { result: "ok" }, value: 4 }] } });
  ok({
    videos: {
      samples: [
        { labels: { status: "pending" }, value: 1 },
        { labels: { status: "failed" }, value: 0 },
      ],
    },
  });
  bad([], /expected an object of metric name/);
  bad({ "bad-name": 1 }, /name "bad-name": expected \[a-zA-Z_\]/);
  bad({ "rule:name": 1 }, /expected \[a-zA-Z_\]\[a-zA-Z0-9_\]\*/);
  bad({ "9lives": 1 }, /expected/);
  bad({ __hidden: 1 }, /"__" are reserved/);
  bad({ edgewatch_up: 0 }, /"edgewatch_" prefix is reserved/);
  bad({ x: "12" }, /x: expected a number or \{type, help, samples\}, got "12"/);
  bad({ x: { type: "histogram", samples: [] } }, /"type": expected "gauge" or "counter", got "histogram"/);
  bad({ x: { type: "gauge", sample: [] } }, /unknown key "sample"/);
  bad({ x: { samples: [{ value: "1" }] } }, /samples\[0\]\."value": expected a finite number, got "1"/);
  bad({ x: { samples: [{ labels: { "a-b": "1" }, value: 1 }] } }, /label name "a-b"/);
  bad({ x: { samples: [{ labels: { __name__: "y" }, value: 1 }] } }, /label name "__name__"/);
  bad({ x: { samples: [{ labels: { device: "spoof" }, value: 1 }] } }, /label "device": reserved/);
  bad({ x: { samples: [{ labels: { n: 3 }, value: 1 }] } }, /label "n": expected a string value, got 3/);
  bad(
    {
      x: {
        samples: [
          { labels: { a: "1" }, value: 1 },
          { labels: { a: "1" }, value: 2 },
        ],
      },
    },
    /same labels appear twice/,
  );
  bad({ x: { type: "counter", samples: [{ value: -1 }] } }, /a counter cannot be negative/);
  bad({ jobs: 1, jobs_total: 2 }, /collides/);
});

test("a program's metrics reach /metrics with the right type, HELP and labels; bad ones are refused with one warning", async (t) => {
  const a = await startTestAgent(t);
  await updateStatus(
    "recorder",
    {
      metrics: {
        upload_queue_size: 4,
        uploads: {
          type: "counter",
          help: "Uploads finished, by result",
          samples: [
            { labels: { result: "ok" }, value: 40 },
            { labels: { result: "failed" }, value: 2 },
          ],
        },
      },
    },
    { dir: a.statusDir },
  );
  const body = await until("program metrics in /metrics", async () => {
    const r = await get(`${a.url}/metrics`);
    return r.body.includes("uploads_total") ? r.body : null;
  });
  assert.match(body, /^# HELP upload_queue_size Exported by recorder through the status protocol$/m);
  assert.match(body, /^# TYPE upload_queue_size gauge$/m);
  assert.match(body, /^upload_queue_size\{device="pi-test",site="lab"\} 4$/m);
  assert.match(body, /^# HELP uploads_total Uploads finished, by result$/m);
  assert.match(body, /^# TYPE uploads_total counter$/m);
  assert.match(body, /^uploads_total\{device="pi-test",site="lab",result="ok"\} 40$/m);
  assert.match(body, /^uploads_total\{device="pi-test",site="lab",result="failed"\} 2$/m);

  // The TypeScript writer refuses a bad metrics value before touching the disk.
  await assert.rejects(
    updateStatus("recorder", { metrics: { edgewatch_up: 0 } }, { dir: a.statusDir }),
    /reserved key "metrics": name "edgewatch_up": the "edgewatch_" prefix is reserved/,
  );
  // A program that writes the file itself: the fragment is refused, one warning, last good metrics kept.
  const bad = JSON.stringify({
    metrics: { upload_queue_size: { samples: [{ labels: { "bad-label": "x" }, value: 9 }] } },
  });
  for (let i = 0; i < 3; i++) {
    writeFileSync(join(a.statusDir, "status.d", "recorder.json"), bad);
    await new Promise((r) => setTimeout(r, 150));
  }
  const warned = await until("a reader warning for recorder", () => {
    const w = a.logs.filter((l) => l.level === "warn" && l.fields?.source === "recorder");
    return w.length ? w : null;
  });
  await new Promise((r) => setTimeout(r, 300));
  const all = a.logs.filter((l) => l.level === "warn" && l.fields?.source === "recorder");
  assert.equal(all.length, 1, JSON.stringify(all));
  assert.match(
    String(warned[0]?.fields?.reason),
    /reserved key "metrics": upload_queue_size: samples\[0\]: label name "bad-label"/,
  );
  const after = (await get(`${a.url}/metrics`)).body;
  assert.match(after, /^upload_queue_size\{device="pi-test",site="lab"\} 4$/m, "the last good fragment's metrics stay");
  assert.doesNotMatch(after, /bad-label/);
});

test("metrics.enabled: false answers /metrics with 404 and a reason; the rest of the API still serves", async (t) => {
  const a = await startTestAgent(t, { metrics: { enabled: false } });
  const r = await get(`${a.url}/metrics`);
  assert.equal(r.status, 404);
  assert.match(r.body, /metrics\.enabled: false/);
  assert.equal((await get(`${a.url}/health`)).status, 200);
});

test("edgewatch_events_total counts the events writers send, by level, every level present from the start", async (t) => {
  const a = await startTestAgent(t);
  const before = (await get(`${a.url}/metrics`)).body;
  for (const level of ["debug", "info", "warning", "error", "critical"]) {
    assert.match(
      before,
      new RegExp(`^edgewatch_events_total\\{device="pi-test",site="lab",level="${level}"\\} 0$`, "m"),
    );
  }
  await emitEvent("timelapse", { level: "critical", message: "camera gone" }, { dir: a.statusDir });
  await emitEvent("timelapse", { level: "critical", message: "camera still gone" }, { dir: a.statusDir });
  await emitEvent("timelapse", { level: "error", message: "retry failed" }, { dir: a.statusDir });
  await until("two critical and one error event counted", async () => {
    const r = (await get(`${a.url}/metrics`)).body;
    return (
      /^edgewatch_events_total\{[^}]*level="critical"\} 2$/m.test(r) &&
      /^edgewatch_events_total\{[^}]*level="error"\} 1$/m.test(r)
    );
  });
});
