import assert from "node:assert/strict";
import { test } from "node:test";
import { REDACTED, redact, redactUrl } from "../../../src/agent/core/redact.ts";
import { get, startTestAgent } from "./helpers.ts";

test("redactUrl removes URL credentials, secret query values and token-shaped webhook path segments", () => {
  assert.equal(redactUrl("redis://:hunter2@10.0.0.5:6379/0"), `redis://:${REDACTED}@10.0.0.5:6379/0`);
  assert.equal(redactUrl("https://user:pw@nas.local/backup"), `https://user:${REDACTED}@nas.local/backup`);
  assert.equal(
    redactUrl("https://discord.com/api/webhooks/112233445566778899/AbCdEf_gh-IJKLmnopQRstuVWXyz0123456789"),
    `https://discord.com/api/webhooks/112233445566778899/${REDACTED}`,
  );
  assert.equal(
    redactUrl("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
    `https://hooks.slack.com/services/T00000000/B00000000/${REDACTED}`,
  );
  assert.equal(
    redactUrl("https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage"),
    `https://api.telegram.org/${REDACTED}/sendMessage`,
  );
  assert.equal(
    redactUrl("https://ha.local/api/webhook/x?token=abc&room=1"),
    `https://ha.local/api/webhook/x?token=${REDACTED}&room=1`,
  );
  assert.equal(redactUrl("http://127.0.0.1:9093/api/v2/alerts"), "http://127.0.0.1:9093/api/v2/alerts");
  assert.equal(redactUrl("/home/pi/pics/*.jpg"), "/home/pi/pics/*.jpg");
});

test("redact works by key name too, including nested secret objects", () => {
  assert.deepEqual(
    redact({
      http: { token: "abcdefghijklmnopqrstuvwxyz", port: 8080 },
      smtp: { password: "pw", user: "me", host: "smtp.example.com" },
      telegram: { bot_token: "123:abc", chat_id: "42" },
      credentials: { user: "u", pass: "p" },
      api_key: "k",
      empty_token: "",
    }),
    {
      http: { token: REDACTED, port: 8080 },
      smtp: { password: REDACTED, user: "me", host: "smtp.example.com" },
      telegram: { bot_token: REDACTED, chat_id: "42" },
      credentials: { user: REDACTED, pass: REDACTED },
      api_key: REDACTED,
      empty_token: "",
    },
  );
});

test("/config shows the effective config with no secret in it", async (t) => {
  const token = "Sup3rSecretControlToken99";
  const secrets = [
    token,
    "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
    "AbCdEf_gh-IJKLmnopQRstuVWXyz0123456789",
    "hook-bearer-77",
    "smtp-pa55word",
    "webhookQueryToken1",
  ];
  const a = await startTestAgent(t, {
    http: { token },
    legacy_status_file: "/tmp/timelapse_status.json",
    notify: {
      channels: [
        { type: "telegram", bot_token: secrets[1], chat_id: "42" },
        { type: "discord", webhook_url: `https://discord.com/api/webhooks/112233445566778899/${secrets[2]}` },
        {
          type: "webhook",
          url: `https://ha.local/api/webhook/edgewatch?token=${secrets[5]}`,
          headers: { Authorization: `Bearer ${secrets[3]}` },
        },
        {
          type: "email",
          host: "smtp.example.com",
          user: "me",
          password: secrets[4],
          to: ["me@example.com"],
          from: "pi@example.com",
        },
      ],
    },
  } as never);
  const r = await get(`${a.url}/config`);
  assert.equal(r.status, 200, r.body);
  for (const s of secrets) assert.ok(!r.body.includes(s), `secret ${s.slice(0, 6)}… is not in /config`);
  assert.match(r.body, /discord\.com\/api\/webhooks\/112233445566778899\/<redacted>/);
  const c = r.json<{ config: { http: { token: string; port: number }; device: { id: string } } }>().config;
  assert.equal(c.http.token, REDACTED);
  assert.equal(c.device.id, "pi-test");
  assert.equal(c.http.port, 0);
});
