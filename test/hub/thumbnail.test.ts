// Thumbnails end to end: a real agent sends the newest photo's EXIF thumbnail (written by exiftool
// here), only when it changed; the hub keeps the latest and serves it with cache headers.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { FleetDevice } from "../../src/hub/api-types.ts";
import { requireTool, tempDir } from "../helpers/tools.ts";
import { admin, agentConfig, api, hubConfig, startAgent, startHub, waitFor } from "./helpers.ts";

const FIX = join(import.meta.dirname, "fixtures");

test("the newest photo's EXIF thumbnail reaches the hub, once per change; served with ETag and immutable ?v=", {
  timeout: 180_000,
}, async (t) => {
  const exiftool = requireTool(t, "exiftool", "libimage-exiftool-perl");
  if (!exiftool) return;
  const dir = tempDir(t, "ew-thumb-");
  const photos = join(dir, "photos");
  mkdirSync(photos, { recursive: true });
  // two different thumbnails embedded by exiftool into two photos
  const thumbA = readFileSync(join(FIX, "exif-thumb.jpg"));
  const thumbB = Buffer.concat([thumbA.subarray(0, -2), Buffer.from("extra"), thumbA.subarray(-2)]);
  writeFileSync(join(dir, "a.jpg"), thumbA);
  writeFileSync(join(dir, "b.jpg"), thumbB);
  const shoot = (name: string, thumb: string, age: number) => {
    const f = join(photos, name);
    writeFileSync(f, readFileSync(join(FIX, "no-exif.jpg")));
    execFileSync(exiftool, ["-q", "-overwrite_original", `-ThumbnailImage<=${join(dir, thumb)}`, f]);
    const at = Date.now() / 1000 - age;
    utimesSync(f, at, at);
  };
  shoot("0001.jpg", "a.jpg", 60);

  const hub = await startHub(t, hubConfig(join(dir, "hub")));
  const cam = join(dir, "cam-1");
  agentConfig(cam, "cam-1", "gym", hub.url, `files: { photos: ["${photos}/*.jpg"] }`);
  const file = join(cam, "agent.yaml");
  writeFileSync(file, readFileSync(file, "utf8").replace(", interval: 1s }", ", interval: 1s, thumbnail_every: 1s }"));
  await startAgent(t, cam, "cam-1");

  const view = async () => (await api<FleetDevice>(`${hub.url}/api/v1/devices/cam-1`)).body;
  const first = (await waitFor("a thumbnail on the hub", async () => (await view()).thumbnail)) as {
    url: string;
    at: string;
  };
  const url = `${hub.url}${first.url}`;
  const img = await fetch(url);
  assert.equal(img.status, 200);
  assert.equal(img.headers.get("content-type"), "image/jpeg");
  assert.equal(img.headers.get("cache-control"), "private, max-age=31536000, immutable");
  assert.deepEqual(Buffer.from(await img.arrayBuffer()), thumbA, "the embedded thumbnail, byte for byte");
  const etag = img.headers.get("etag") ?? "";
  assert.equal((await fetch(url, { headers: { "If-None-Match": etag } })).status, 304);
  const plain = await fetch(`${hub.url}/api/v1/devices/cam-1/thumbnail`);
  assert.equal(plain.headers.get("cache-control"), "private, no-cache", "without ?v= it is revalidated");
  await plain.arrayBuffer();

  // unchanged photo: several pushes and looks later, the hub still has the first one (not resent)
  const pushes = (await view()).pushes;
  await waitFor("three more pushes", async () => (await view()).pushes >= pushes + 3);
  assert.equal((await view()).thumbnail?.at, first.at, "an unchanged thumbnail is not sent again");

  // a newer photo with another thumbnail replaces it
  shoot("0002.jpg", "b.jpg", 0);
  const second = await waitFor("the new thumbnail", async () => {
    const v = await view();
    return v.thumbnail && v.thumbnail.at !== first.at ? v.thumbnail : null;
  });
  const img2 = await fetch(`${hub.url}${second?.url}`);
  assert.deepEqual(Buffer.from(await img2.arrayBuffer()), thumbB);

  // no thumbnail: 404; removal takes it along
  assert.equal((await api(`${hub.url}/api/v1/devices/cam-1`, { method: "DELETE", headers: admin })).status, 200);
  assert.equal((await api(`${hub.url}/api/v1/devices/cam-1/thumbnail`)).status, 404);
});

test("a pushed thumbnail that is not a small JPEG is refused with a clear 400", async (t) => {
  const dir = tempDir(t, "ew-thumb-");
  const hub = await startHub(t, hubConfig(join(dir, "hub")));
  const { enroll, push, batch } = await import("./helpers.ts");
  const token = await enroll(hub.url, "cam-x");
  const big = Buffer.alloc(70 * 1024, 1);
  big[0] = 0xff;
  big[1] = 0xd8;
  for (const jpeg of [Buffer.from("GIF89a....").toString("base64"), big.toString("base64"), "not base64!"]) {
    const r = await push(hub.url, token, batch(1, { thumbnail: { jpeg } }));
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /thumbnail/);
  }
  assert.equal((await api(`${hub.url}/api/v1/devices/cam-x/thumbnail`)).status, 404, "nothing kept");
});
