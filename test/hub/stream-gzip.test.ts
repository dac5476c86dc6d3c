// The fleet stream is gzipped for clients that accept it, flushed frame by frame: a phone on a slow
// link gets the 200-device snapshot in a few KiB, and each later change still arrives at once.
import assert from "node:assert/strict";
import { get } from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import { createGunzip } from "node:zlib";
import type { StreamMessage } from "../../src/hub/api-types.ts";
import { tempDir } from "../helpers/tools.ts";
import { batch, enroll, hubConfig, push, startHub, waitFor } from "./helpers.ts";

function rawStream(url: string, acceptEncoding: string | null) {
  const messages: StreamMessage[] = [];
  const state = { wire: 0, text: 0, encoding: "", closed: false };
  const req = get(
    `${url}/api/v1/stream`,
    { headers: acceptEncoding === null ? {} : { "Accept-Encoding": acceptEncoding } },
    (res) => {
      state.encoding = String(res.headers["content-encoding"] ?? "identity");
      res.on("data", (d: Buffer) => {
        state.wire += d.length;
      });
      const body = state.encoding === "gzip" ? res.pipe(createGunzip()) : res;
      let buf = "";
      body.on("data", (d: Buffer) => {
        state.text += d.length;
        buf += d.toString("utf8");
        let i = buf.indexOf("\n\n");
        while (i >= 0) {
          for (const line of buf.slice(0, i).split("\n")) {
            if (line.startsWith("data: ")) messages.push(JSON.parse(line.slice(6)) as StreamMessage);
          }
          buf = buf.slice(i + 2);
          i = buf.indexOf("\n\n");
        }
      });
      body.on("error", () => {});
    },
  );
  req.on("error", () => {});
  return { messages, state, close: () => req.destroy() };
}

test("the fleet stream is gzipped when the client accepts it, each frame flushed; plain otherwise", {
  timeout: 180_000,
}, async (t) => {
  const dir = tempDir(t, "ew-streamgz-");
  const hub = await startHub(
    t,
    hubConfig(join(dir, "hub"), "ingest: { commit_interval: 20ms, enroll_per_minute: 100 }"),
  );
  const tokens: string[] = [];
  for (let i = 0; i < 40; i++) {
    const token = await enroll(hub.url, `cam-${String(i).padStart(2, "0")}`, `site-${i % 4}`, ["roof"]);
    tokens.push(token);
    const status = { status: "capturing", today: { photos_captured: 100 + i, expected_photos: 720 } };
    assert.equal((await push(hub.url, token, batch(1, { status }))).status, 200);
  }
  const gz = rawStream(hub.url, "gzip, deflate, br");
  const plain = rawStream(hub.url, null);
  t.after(() => {
    gz.close();
    plain.close();
  });
  await waitFor("both snapshots", () => gz.messages.length > 0 && plain.messages.length > 0);
  assert.equal(gz.state.encoding, "gzip");
  assert.equal(plain.state.encoding, "identity", "a client that does not ask gets plain text");
  assert.deepEqual(gz.messages[0], plain.messages[0], "the same snapshot either way");
  const snap = gz.messages[0] as Extract<StreamMessage, { type: "snapshot" }>;
  assert.equal(snap.type, "snapshot");
  assert.equal(snap.devices.length, 40);
  assert.ok(
    gz.state.wire * 5 < gz.state.text,
    `the snapshot went out compressed: ${gz.state.wire} bytes on the wire for ${gz.state.text} of text`,
  );

  // A change after the snapshot reaches the gzip client on its own (flushed, not held for more input).
  const status = { status: "creating_video", today: { photos_captured: 500, expected_photos: 720 } };
  assert.equal((await push(hub.url, tokens[7] as string, batch(2, { status }))).status, 200);
  const update = await waitFor("the device frame through gzip", () =>
    gz.messages.find(
      (m): m is Extract<StreamMessage, { type: "device" }> => m.type === "device" && m.device.id === "cam-07",
    ),
  );
  assert.equal(update?.device.summary.status, "creating_video");
});
