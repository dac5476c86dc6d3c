// The fleet page's pure parts, without a browser: problems first, filters, groups, and the
// event-stream parser the page reads GET /api/v1/stream with.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { FleetDevice } from "../../src/hub/api-types.ts";
import { arrange, facets, NO_FILTERS, sortDevices } from "../../web/fleet/order.ts";
import { SseParser } from "../../web/fleet/stream.ts";

function dev(id: string, over: Partial<FleetDevice> = {}): FleetDevice {
  return {
    id,
    site: "gym",
    tags: [],
    state: "up",
    since: "2026-11-30T00:00:00Z",
    last_seen: null,
    interval_seconds: 15,
    offline_after_seconds: 45,
    status: null,
    clock_ahead: false,
    clock_offset_seconds: null,
    pushes: 0,
    silenced: false,
    maintenance: false,
    summary: {
      status: null,
      captures_today: null,
      captures_expected: null,
      last_capture_at: null,
      disk_used_ratio: null,
      disk_free_bytes: null,
      temperature_c: null,
      cpu_ratio: null,
      memory_ratio: null,
      upload_success_ratio: null,
    },
    alerts: [],
    thumbnail: null,
    ...over,
  };
}
const alert = (silenced = false) => ({
  key: "k",
  rule: "disk",
  severity: "warning" as const,
  summary: "disk 93 %",
  since: null,
  source: "device" as const,
  silenced,
});

test("problems first: down, late, firing alerts, maintenance, then the rest; by site and name within each", () => {
  const list = [
    dev("a-fine"),
    dev("b-alert", { alerts: [alert()] }),
    dev("c-silenced-alert", { alerts: [alert(true)] }),
    dev("d-late", { state: "late" }),
    dev("e-down", { state: "down", site: "roof" }),
    dev("f-down", { state: "down", site: "barn" }),
    dev("g-maint", { state: "down", maintenance: true }),
  ];
  assert.deepEqual(
    sortDevices(list).map((d) => d.id),
    ["f-down", "e-down", "d-late", "b-alert", "g-maint", "a-fine", "c-silenced-alert"],
  );
});

test("filters by name, site, tag and state; groups by site or tag with the groups holding problems first", () => {
  const list = [
    dev("cam-1", { site: "gym", tags: ["indoor"] }),
    dev("cam-2", { site: "roof", tags: ["outdoor", "ptz"], state: "down" }),
    dev("door-3", { site: "gym", tags: ["outdoor"] }),
  ];
  const ids = (f: Partial<typeof NO_FILTERS>) =>
    arrange(list, { ...NO_FILTERS, ...f }).map(([g, l]) => [g, l.map((d) => d.id)]);
  assert.deepEqual(ids({ q: "CAM" }), [["", ["cam-2", "cam-1"]]]);
  assert.deepEqual(ids({ site: "gym" }), [["", ["cam-1", "door-3"]]]);
  assert.deepEqual(ids({ tag: "outdoor" }), [["", ["cam-2", "door-3"]]]);
  assert.deepEqual(ids({ state: "down" }), [["", ["cam-2"]]]);
  assert.deepEqual(ids({ group: "site" }), [
    ["roof", ["cam-2"]],
    ["gym", ["cam-1", "door-3"]],
  ]);
  assert.deepEqual(ids({ group: "tag" }), [
    ["outdoor", ["cam-2", "door-3"]],
    ["ptz", ["cam-2"]],
    ["indoor", ["cam-1"]],
  ]);
  assert.deepEqual(facets(list), { sites: ["gym", "roof"], tags: ["indoor", "outdoor", "ptz"] });
});

test("the stream parser: frames split across chunks, CRLF, multi-line data, comments and other fields ignored", () => {
  const p = new SseParser();
  assert.deepEqual(p.push(': keepalive\n\ndata: {"a"'), []);
  assert.deepEqual(p.push(":1}\n"), []);
  assert.deepEqual(p.push("\nevent: x\r\nid: 3\r\ndata:line1\r\ndata: line2\r\n\r\ndata: z\n\n"), [
    '{"a":1}',
    "line1\nline2",
    "z",
  ]);
});
