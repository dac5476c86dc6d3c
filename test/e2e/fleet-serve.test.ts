// The hub serves the fleet page as the agent serves the device page: precompressed, hashed immutable
// assets, a strict Content-Security-Policy; the page needs no token, the data behind it does.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../helpers/tools.ts";
import { ADMIN, api, hubConfig, startHub } from "../hub/helpers.ts";
import { buildWeb, raw, withEnv } from "./helpers/web.ts";

const VIEWER = "viewer-token-for-tests-0123456789";

test("the hub serves the fleet page: precompressed, hashed immutable assets, a strict CSP; the text overview and whoami need no page", {
  timeout: 120_000,
}, async (t) => {
  withEnv(t, "EDGEWATCH_WEB_DIR", buildWeb(t));
  const dir = tempDir(t, "ew-fleet-serve-");
  const hub = await startHub(t, hubConfig(join(dir, "hub"), `viewer_token: ${VIEWER}`));

  const br = await raw(`${hub.url}/`, { "Accept-Encoding": "gzip, br" });
  assert.equal(br.status, 200, "the page itself needs no token");
  assert.equal(br.headers["content-encoding"], "br");
  assert.equal(br.headers["cache-control"], "no-cache");
  const csp = String(br.headers["content-security-policy"]);
  assert.match(csp, /default-src 'none'; script-src 'self'; style-src 'self' 'sha256-[^']+'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  const plain = await raw(`${hub.url}/`, { "Accept-Encoding": "identity" });
  const html = plain.body.toString("utf8");
  const script = /<script type="module" src="(\/assets\/fleet-[A-Z0-9]+\.js)"><\/script>/.exec(html)?.[1];
  assert.ok(script, `the page loads its hashed bundle: ${html.slice(0, 300)}`);
  assert.equal((await raw(`${hub.url}/`, { "If-None-Match": String(plain.headers.etag) })).status, 304);
  const js = await raw(`${hub.url}${script}`, { "Accept-Encoding": "gzip" });
  assert.equal(js.status, 200);
  assert.equal(js.headers["content-encoding"], "gzip");
  assert.equal(js.headers["cache-control"], "public, max-age=31536000, immutable");
  assert.equal((await raw(`${hub.url}/assets/nope.js`)).status, 404);
  // The device page is not served by the hub.
  assert.equal((await raw(`${hub.url}/assets/app.js`)).status, 404);

  assert.equal((await api(`${hub.url}/?format=text`)).status, 401, "the text overview is data: it needs the token");
  const text = await api(`${hub.url}/?format=text`, { headers: { Authorization: `Bearer ${VIEWER}` } });
  assert.match(text.text, /^edgewatch hub — 0 devices: 0 up, 0 late, 0 down/);

  const who = async (token?: string) =>
    (await api(`${hub.url}/api/v1/whoami`, token ? { headers: { Authorization: `Bearer ${token}` } } : {})).body;
  assert.deepEqual(await who(), { read: false, write: false });
  assert.deepEqual(await who("wrong"), { read: false, write: false });
  assert.deepEqual(await who(VIEWER), { read: true, write: false });
  assert.deepEqual(await who(ADMIN), { read: true, write: true });
});
