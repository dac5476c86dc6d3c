// The fleet page's API on a real hub: a real agent's summary, the device's alerts (pushed and the
// hub's own), maintenance, the overview, the device filters, and the live stream's messages.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { FleetDevice, FleetOverview, StreamMessage } from "../../src/hub/api-types.ts";
import { HISTORY_KEYS } from "../../src/hub/history-keys.ts";
import { tempDir } from "../helpers/tools.ts";
import { admin, agentConfig, api, batch, enroll, hubConfig, push, startAgent, startHub, waitFor } from "./helpers.ts";
import { openStream, type StreamClient } from "./stream-client.ts";

const isDevice =
  (id: string, ok: (d: FleetDevice) => boolean = () => true) =>
  (m: StreamMessage): m is Extract<StreamMessage, { type: "device" }> =>
    m.type === "device" && m.device.id === id && ok(m.device);

test("a real agent's push becomes the device's summary; overview and history carry it", {
  timeout: 180_000,
}, async (t) => {
  const dir = tempDir(t, "ew-fleetview-");
  const hub = await startHub(t, hubConfig(join(dir, "hub")));
  const d = join(dir, "cam-1");
  agentConfig(d, "cam-1", "gym", hub.url);
  mkdirSync(join(d, "status", "status.d"), { recursive: true });
  writeFileSync(
    join(d, "status", "status.d", "timelapse.json"),
    JSON.stringify({
      status: "capturing",
      today: { photos_captured: 42, expected_photos: 720 },
      last_capture: { time: "2026-11-30T07:00:00.000Z", success: true },
    }),
  );
  await startAgent(t, d, "cam-1");
  const dev = (await waitFor("a summary from cam-1", async () => {
    const r = await api<FleetDevice>(`${hub.url}/api/v1/devices/cam-1`);
    return r.status === 200 && r.body.summary.cpu_ratio !== null && r.body.summary.status ? r.body : null;
  })) as FleetDevice;
  assert.equal(dev.summary.status, "capturing");
  assert.equal(dev.summary.captures_today, 42);
  assert.equal(dev.summary.captures_expected, 720);
  assert.equal(dev.summary.last_capture_at, "2026-11-30T07:00:00.000Z");
  assert.ok(dev.summary.disk_used_ratio !== null && dev.summary.disk_used_ratio > 0 && dev.summary.disk_used_ratio < 1);
  assert.ok((dev.summary.disk_free_bytes ?? 0) > 0, "the agent's disk fields reach the hub");
  assert.ok(dev.summary.memory_ratio !== null && dev.summary.memory_ratio > 0 && dev.summary.memory_ratio < 1);
  assert.equal(dev.maintenance, false);
  assert.equal(dev.thumbnail, null);
  assert.deepEqual(dev.alerts, []);
  const o = await api<FleetOverview>(`${hub.url}/api/v1/overview`);
  assert.deepEqual(o.body, { devices: 1, up: 1, late: 0, down: 0, new: 0, maintenance: 0, alerts_firing: 0 });
  const h = await api<{ points: { values: Record<string, unknown> }[] }>(
    `${hub.url}/api/v1/devices/cam-1/history?from=-10m&step=1m`,
  );
  const keys = new Set(h.body.points.flatMap((p) => Object.keys(p.values)));
  for (const k of [HISTORY_KEYS.cpu, HISTORY_KEYS.memory, HISTORY_KEYS.disk, "summary.captures_today"])
    assert.ok(keys.has(k), `history has ${k}: ${[...keys].join(", ")}`);
  const daily = await api<{ day: string; captures: number | null; expected: number | null }[]>(
    `${hub.url}/api/v1/devices/cam-1/daily?days=3`,
  );
  assert.equal(daily.status, 200, daily.text);
  assert.equal(daily.body.length, 3);
  assert.deepEqual(daily.body.at(-1)?.captures, 42, "today's captures from the rollups");
  assert.deepEqual(daily.body.at(-1)?.expected, 720);
  assert.deepEqual(
    daily.body.slice(0, 2).map((p) => p.captures),
    [null, null],
  );
});

test("device alerts (pushed + hub), maintenance, filters and the live stream", { timeout: 180_000 }, async (t) => {
  const dir = tempDir(t, "ew-fleetview-");
  const hub = await startHub(
    t,
    hubConfig(join(dir, "hub"), "offline_after: 2s\nviewer_token: viewer-token-0123456789"),
  );
  const read = { Authorization: "Bearer viewer-token-0123456789" };
  const a = await enroll(hub.url, "cam-a", "gym", ["roof"]);
  const b = await enroll(hub.url, "cam-b", "barn");
  assert.equal((await push(hub.url, b, batch(1, { status: { status: "idle" } }))).status, 200);

  const refused = await openStream(hub.url);
  assert.equal(refused.status, 401, "the stream needs the viewer token like every read");
  const s = await openStream(hub.url, read);
  t.after(() => s.close());
  assert.equal(s.status, 200);
  const snap = await s.next(
    "snapshot",
    (m): m is Extract<StreamMessage, { type: "snapshot" }> => m.type === "snapshot",
  );
  assert.equal(s.messages[0], snap, "the snapshot comes first");
  assert.deepEqual(snap.devices.map((d) => [d.id, d.state]).sort(), [
    ["cam-a", "new"],
    ["cam-b", "up"],
  ]);

  // a push with a firing alert: the device's card shows it, the stream says so
  let mark = s.messages.length;
  const firing = [
    {
      id: "disk_free:/",
      rule: "disk_free",
      severity: "critical",
      state: "firing",
      summary: "disk 95% full",
      since: "2026-11-30T06:00:00Z",
    },
  ];
  assert.equal((await push(hub.url, a, batch(1, { status: { status: "capturing" }, firing }))).status, 200);
  const m1 = await s.next(
    "cam-a capturing, with its alert",
    isDevice("cam-a", (d) => d.alerts.length === 1),
    mark,
  );
  assert.deepEqual(m1.device.alerts[0], {
    key: "disk_free:/",
    rule: "disk_free",
    severity: "critical",
    summary: "disk 95% full",
    since: "2026-11-30T06:00:00Z",
    source: "device",
    silenced: false,
  });
  assert.equal(m1.device.state, "up");
  assert.equal(m1.overview.alerts_firing, 1);

  // a push that changes nothing shown sends nothing; the next change does
  mark = s.messages.length;
  assert.equal((await push(hub.url, a, batch(2, { status: { status: "capturing" }, firing }))).status, 200);
  assert.equal((await push(hub.url, a, batch(3, { status: { status: "creating_video" }, firing: [] }))).status, 200);
  const m2 = await s.next(
    "cam-a creating_video",
    isDevice("cam-a", (d) => d.status === "creating_video"),
    mark,
  );
  assert.deepEqual(m2.device.alerts, [], "a push without the alert clears it");
  assert.equal(
    s.messages.slice(mark).filter((m) => m.type === "device" && m.device.id === "cam-a").length,
    1,
    "the unchanged push sent no message",
  );

  // a maintenance window ahead: not yet, then in maintenance at its start (no poll: the hub's deadline)
  mark = s.messages.length;
  const starts = new Date(Date.now() + 1500).toISOString();
  const sil = await api(`${hub.url}/api/v1/silences`, {
    method: "POST",
    headers: admin,
    body: JSON.stringify({ tag: "roof", starts_at: starts, duration: "1h", comment: "new mast" }),
  });
  assert.equal(sil.status, 201, sil.text);
  const m3 = await s.next(
    "cam-a in maintenance",
    isDevice("cam-a", (d) => d.maintenance && d.silenced),
    mark,
  );
  assert.equal(m3.overview.maintenance, 1);
  assert.ok(Date.now() >= Date.parse(starts), "maintenance shows from its start, not before");
  assert.equal((await api<FleetDevice>(`${hub.url}/api/v1/devices/cam-b`, { headers: read })).body.maintenance, false);

  // cam-b stops pushing: the hub's down alert shows on its card and under alerts?device=
  const m4 = await s.next(
    "cam-b down",
    isDevice("cam-b", (d) => d.state === "down" && d.alerts.length === 1),
  );
  assert.equal(m4.device.alerts[0]?.source, "hub");
  assert.equal(m4.device.alerts[0]?.rule, "device_down");
  const al = await api<{ subject: string }[]>(`${hub.url}/api/v1/alerts?device=cam-b&state=firing`, { headers: read });
  assert.deepEqual(
    al.body.map((x) => x.subject),
    ["cam-b"],
  );
  assert.deepEqual((await api(`${hub.url}/api/v1/alerts?device=cam-a`, { headers: read })).body, []);
  assert.equal((await api(`${hub.url}/api/v1/alerts?device=nope`, { headers: read })).status, 404);

  // checks may name a device
  const chk = await api(`${hub.url}/api/v1/checks`, {
    method: "POST",
    headers: admin,
    body: JSON.stringify({ name: "backup", slug: "backup-a", device: "cam-a" }),
  });
  assert.equal(chk.status, 201, chk.text);
  await api(`${hub.url}/api/v1/checks`, { method: "POST", headers: admin, body: JSON.stringify({ name: "other" }) });
  const checks = await api<{ name: string }[]>(`${hub.url}/api/v1/checks?device=cam-a`, { headers: read });
  assert.deepEqual(
    checks.body.map((c) => c.name),
    ["backup"],
  );

  // removal
  mark = s.messages.length;
  assert.equal((await api(`${hub.url}/api/v1/devices/cam-b`, { method: "DELETE", headers: admin })).status, 200);
  const m5 = await s.next(
    "cam-b removed",
    (m): m is Extract<StreamMessage, { type: "removed" }> => m.type === "removed",
    mark,
  );
  assert.equal(m5.id, "cam-b");
  assert.equal(m5.overview.devices, 1);

  // every admin write is in the hub's audit, newest first
  const audit = await api<{ action: string; target: string }[]>(`${hub.url}/api/v1/audit`, { headers: admin });
  assert.deepEqual(
    audit.body.map((e) => `${e.action} ${e.target}`),
    [
      "DELETE /api/v1/devices /api/v1/devices/cam-b",
      "POST /api/v1/checks /api/v1/checks",
      "POST /api/v1/checks /api/v1/checks",
      "POST /api/v1/silences /api/v1/silences",
    ],
  );
});

test("the stream is bounded: beyond 64 clients one more gets 503 with Retry-After; a closed one frees its place", {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir(t, "ew-fleetview-");
  const hub = await startHub(t, hubConfig(join(dir, "hub")));
  const open: StreamClient[] = [];
  for (let i = 0; i < 64; i++) open.push(await openStream(hub.url));
  t.after(() => {
    for (const s of open) s.close();
  });
  assert.ok(open.every((s) => s.status === 200));
  const res = await fetch(`${hub.url}/api/v1/stream`);
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("retry-after"), "10");
  assert.match(((await res.json()) as { error: string }).error, /expected at most 64, got one more/);
  open.pop()?.close();
  const again = (await waitFor("a place again", async () => {
    const s = await openStream(hub.url);
    if (s.status === 200) return s;
    s.close();
    return null;
  })) as StreamClient;
  open.push(again);
  await again.next("snapshot", (m): m is Extract<StreamMessage, { type: "snapshot" }> => m.type === "snapshot");
});

test("a stream client that stops reading is dropped once its backlog passes 1 MiB, not buffered for ever", {
  timeout: 180_000,
}, async (t) => {
  const dir = tempDir(t, "ew-fleetview-");
  const hub = await startHub(t, hubConfig(join(dir, "hub")));
  const token = await enroll(hub.url, "cam-big", "gym");
  const { connect } = await import("node:net");
  const u = new URL(hub.url);
  const sock = connect(Number(u.port), u.hostname);
  t.after(() => sock.destroy());
  let closed = false;
  let got = 0;
  sock.on("close", () => {
    closed = true;
  });
  sock.on("data", (d: Buffer) => {
    got += d.length;
  });
  await new Promise((r) => sock.once("connect", r));
  sock.write(`GET /api/v1/stream HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`);
  await waitFor("the snapshot", () => got > 0);
  sock.pause(); // reads nothing more
  // each push changes 100 long alert summaries: a ~100 KB frame per push
  const firing = (n: number) =>
    Array.from({ length: 100 }, (_, i) => ({
      id: `a${i}`,
      rule: "r",
      severity: "warning",
      summary: `${n} ${"x".repeat(990)}`,
      state: "firing",
    }));
  // ~20 MB of frames: more than the loopback socket buffers hold, so the hub's own backlog grows
  let seq = 0;
  for (; seq < 200; ) {
    seq++;
    assert.equal((await push(hub.url, token, batch(seq, { firing: firing(seq) }))).status, 200);
  }
  sock.resume(); // read what the kernel holds: a dropped stream then ends
  await waitFor("the hub drops the stalled stream", () => closed, 60_000);
  assert.ok(got < seq * 100_000, `the client got ${got} bytes of ${seq} ~100 KB frames: the rest was never buffered`);
  assert.ok(seq * 100_000 > 1024 * 1024, `${seq} pushes of ~100 KB frames`);
  const s = await openStream(hub.url);
  t.after(() => s.close());
  assert.equal(s.status, 200, "the hub still serves new streams");
});
