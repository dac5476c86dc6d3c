import assert from "node:assert/strict";
import { test } from "node:test";
import { SMTPServer } from "smtp-server";
import { ManualClock } from "../../../src/lib/clock.ts";
import { DISCORD_LIMIT, discord } from "../../../src/notify/channels/discord.ts";
import { email } from "../../../src/notify/channels/email.ts";
import { ntfy } from "../../../src/notify/channels/ntfy.ts";
import { slack } from "../../../src/notify/channels/slack.ts";
import { TELEGRAM_LIMIT, telegram } from "../../../src/notify/channels/telegram.ts";
import { webhook } from "../../../src/notify/channels/webhook.ts";
import { Outbox } from "../../../src/notify/outbox.ts";
import type { Channel, Notification } from "../../../src/notify/types.ts";
import { tempDir, waitFor as waitForBase } from "../../helpers/tools.ts";
import { discordServer, ntfyServer, slackServer, telegramServer, webhookServer } from "./contracts.ts";

/** Generous deadlines: the machine may be heavily loaded; nothing here asserts on elapsed time. */
const waitFor = <T>(what: string, check: () => T | Promise<T>, ms = 0) =>
  waitForBase(what, check, Math.max(ms, 120_000));

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const signal = new AbortController().signal;

function note(over: Partial<Notification> = {}): Notification {
  return {
    id: "0000000000001-000001-abcdef",
    channel: "x",
    kind: "alert",
    level: "error",
    title: "WARNING: timelapse: capture failed",
    message: "WARNING: timelapse: capture failed",
    device_id: "pi0cam",
    site: "rooftop",
    timestamp: "2026-02-08T14:23:45.000Z",
    dedupe_key: "events:timelapse:CAP-001@1:firing",
    alert: { id: "events:timelapse:CAP-001", rule: "events", state: "firing", severity: "warning" },
    ...over,
  };
}

const long = (n: number) => Array.from({ length: n }, (_, i) => `line ${i} ${"x".repeat(60)}`).join("\n");

test("telegram: sendMessage with chat_id and text; long text split into ≤4096-char parts; 429 retry_after; 5xx retry; 4xx permanent", async (t) => {
  const srv = await telegramServer(t);
  const ch = telegram.create(
    telegram.schema().parse({ type: "telegram", bot_token: "123456:TEST-token_x", chat_id: -100123, api_url: srv.url }),
    60_000,
  );
  assert.deepEqual(await ch.send(note(), signal), { ok: true });
  assert.equal(srv.accepted.length, 1);
  assert.equal(srv.accepted[0]?.json.chat_id, -100123);
  assert.match(srv.accepted[0]?.json.text, /^\[pi0cam @ rooftop\] WARNING: timelapse: capture failed/);

  const big = long(150); // ~10,000 characters
  assert.ok(big.length > TELEGRAM_LIMIT * 2);
  assert.deepEqual(await ch.send(note({ message: big }), signal), { ok: true });
  const parts = srv.accepted.slice(1).map((r) => r.json.text as string);
  assert.ok(parts.length >= 3, `expected ≥3 parts, got ${parts.length}`);
  for (const p of parts) assert.ok(p.length <= TELEGRAM_LIMIT, `part of ${p.length} chars`);
  assert.match(parts[0] as string, /^\(1\/\d\) /);
  assert.ok(parts.join("").includes("line 149"), "nothing lost when it fits in 4 parts");

  const huge = long(1000); // ~66,000 characters: more than 4 parts → visible truncation
  srv.accepted.length = 0;
  assert.deepEqual(await ch.send(note({ message: huge }), signal), { ok: true });
  assert.equal(srv.accepted.length, 4);
  assert.match(srv.accepted[3]?.json.text, /…\[truncated \d+ chars\]$/);

  srv.faults.push({ status: 429, retryAfter: 7 });
  const r429 = await ch.send(note(), signal);
  assert.equal(r429.ok, false);
  assert.ok(!r429.ok && !r429.permanent && r429.retryAfterMs === 7000, JSON.stringify(r429));
  srv.faults.push({ status: 502 });
  const r5 = await ch.send(note(), signal);
  assert.ok(!r5.ok && !r5.permanent, JSON.stringify(r5));

  const wrong = telegram.create(
    telegram.schema().parse({ type: "telegram", bot_token: "999:WRONG", chat_id: 1, api_url: srv.url }),
    60_000,
  );
  const r401 = await wrong.send(note(), signal);
  assert.ok(!r401.ok && r401.permanent && /401/.test(r401.reason), JSON.stringify(r401));
  assert.ok(!/999:WRONG/.test(JSON.stringify(r401)), "the bot token is not echoed in the reason");
});

test("discord: webhook content ≤2000 (split), 204 accepted, 429 JSON retry_after in float seconds, 404 permanent", async (t) => {
  const srv = await discordServer(t);
  const ch = discord.create(
    discord.schema().parse({ type: "discord", webhook_url: `${srv.url}/api/webhooks/123/tok-en` }),
    60_000,
  );
  assert.deepEqual(await ch.send(note(), signal), { ok: true });
  assert.equal(srv.accepted[0]?.json.content.startsWith("[pi0cam @ rooftop]"), true);
  assert.deepEqual(await ch.send(note({ message: long(60) }), signal), { ok: true });
  for (const r of srv.accepted) assert.ok((r.json.content as string).length <= DISCORD_LIMIT);
  assert.ok(srv.accepted.length >= 3);
  srv.faults.push({ status: 429, retryAfter: 1.25 });
  const r = await ch.send(note(), signal);
  assert.ok(!r.ok && !r.permanent && r.retryAfterMs === 1250, JSON.stringify(r));
  const gone = discord.create(
    discord.schema().parse({ type: "discord", webhook_url: `${srv.url}/api/webhooks/x/y` }),
    60_000,
  );
  const r404 = await gone.send(note(), signal);
  assert.ok(!r404.ok && r404.permanent && /Unknown Webhook/.test(r404.reason), JSON.stringify(r404));
});

test("slack: incoming webhook {text} answered 200 ok; 429 Retry-After header; 404 no_service permanent", async (t) => {
  const srv = await slackServer(t);
  const ch = slack.create(
    slack.schema().parse({ type: "slack", webhook_url: `${srv.url}/services/T000/B000/XXXX` }),
    60_000,
  );
  assert.deepEqual(await ch.send(note(), signal), { ok: true });
  assert.match(srv.accepted[0]?.json.text, /capture failed/);
  srv.faults.push({ status: 429, retryAfter: 30 });
  const r = await ch.send(note(), signal);
  assert.ok(!r.ok && !r.permanent && r.retryAfterMs === 30_000, JSON.stringify(r));
  const bad = slack.create(slack.schema().parse({ type: "slack", webhook_url: `${srv.url}/services/nope` }), 60_000);
  const r404 = await bad.send(note(), signal);
  assert.ok(!r404.ok && r404.permanent && /no_service/.test(r404.reason));
});

test("ntfy: POST /topic with Title/Priority/Tags headers, body ≤4096 bytes (visibly truncated), non-ASCII title encoded", async (t) => {
  const srv = await ntfyServer(t);
  const ch = ntfy.create(
    ntfy.schema().parse({ type: "ntfy", url: srv.url, topic: "pi-cams", token: "tk_abc" }),
    60_000,
  );
  assert.equal((await ch.send(note({ level: "critical", title: "Température 82 °C" }), signal)).ok, true);
  const r0 = srv.accepted[0];
  assert.equal(r0?.path, "/pi-cams");
  assert.equal(r0?.headers.priority, "5");
  assert.equal(r0?.headers.tags, "rotating_light,skull");
  assert.equal(r0?.headers.authorization, "Bearer tk_abc");
  assert.match(String(r0?.headers.title), /^=\?UTF-8\?B\?/);
  assert.match(Buffer.from(String(r0?.headers.title).slice(10, -2), "base64").toString(), /Température 82 °C/);
  assert.equal((await ch.send(note({ message: `é${long(200)}` }), signal)).ok, true);
  const body = srv.accepted[1]?.body as string;
  assert.ok(Buffer.byteLength(body) <= 4096);
  assert.match(body, /…\[truncated\]$/);
  srv.faults.push({ status: 429, retryAfter: 3 });
  const r = await ch.send(note(), signal);
  assert.ok(!r.ok && !r.permanent && r.retryAfterMs === 3000);
});

test("webhook: seed 000's {message, level, device_id} plus site, timestamp and the alert's fields", async (t) => {
  const srv = await webhookServer(t);
  const ch = webhook.create(
    webhook
      .schema()
      .parse({ type: "webhook", url: `${srv.url}/hook`, headers: { Authorization: "Bearer hook-secret" } }),
    60_000,
  );
  assert.deepEqual(await ch.send(note(), signal), { ok: true, detail: "HTTP 200" });
  const b = srv.accepted[0]?.json;
  assert.equal(b.message, "WARNING: timelapse: capture failed");
  assert.equal(b.level, "ERROR");
  assert.equal(b.device_id, "pi0cam");
  assert.equal(b.site, "rooftop");
  assert.equal(b.timestamp, "2026-02-08T14:23:45.000Z");
  assert.deepEqual(b.alert, { id: "events:timelapse:CAP-001", rule: "events", state: "firing", severity: "warning" });
  assert.equal(srv.accepted[0]?.headers.authorization, "Bearer hook-secret");
  const down = webhook.create(webhook.schema().parse({ type: "webhook", url: "http://127.0.0.1:9/hook" }), 2000);
  const r = await down.send(note(), signal);
  assert.ok(!r.ok && !r.permanent && /cannot reach/.test(r.reason), JSON.stringify(r));
});

test("email: SMTP delivery to a local smtp-server; a 550 recipient refusal is permanent", async (t) => {
  const mails: { from: string; to: string[]; data: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(addr, _s, cb) {
      if (addr.address.startsWith("nobody@")) {
        const e = new Error("5.1.1 mailbox unavailable") as Error & { responseCode: number };
        e.responseCode = 550;
        return cb(e);
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        mails.push({
          from: String(session.envelope.mailFrom ? session.envelope.mailFrom.address : ""),
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString("utf8"),
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.server.address() as { port: number }).port;
  const ch = email.create(
    email
      .schema()
      .parse({ type: "email", host: "127.0.0.1", port, from: "cam@example.org", to: ["owner@example.org"] }),
    60_000,
  );
  const r = await ch.send(note(), signal);
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(mails.length, 1);
  assert.equal(mails[0]?.from, "cam@example.org");
  assert.deepEqual(mails[0]?.to, ["owner@example.org"]);
  assert.match(mails[0]?.data as string, /Subject: \[edgewatch\] pi0cam: WARNING: timelapse: capture failed/);
  const bad = email.create(
    email
      .schema()
      .parse({ type: "email", host: "127.0.0.1", port, from: "cam@example.org", to: ["nobody@example.org"] }),
    60_000,
  );
  const r550 = await bad.send(note(), signal);
  assert.ok(!r550.ok && r550.permanent && /550/.test(r550.reason), JSON.stringify(r550));
});

test("outbox honours a 429's retry_after: no retry before it, delivery after it; a failing channel does not delay another", async (t) => {
  const dir = tempDir(t);
  const tg = await telegramServer(t);
  const hook = await webhookServer(t);
  const clock = new ManualClock(Date.now());
  const channels: Channel[] = [
    telegram.create(
      telegram.schema().parse({ type: "telegram", bot_token: "123456:TEST-token_x", chat_id: 1, api_url: tg.url }),
      60_000,
    ),
    webhook.create(webhook.schema().parse({ type: "webhook", url: `${hook.url}/hook` }), 60_000),
  ];
  const ob = new Outbox({ dir, channels, log: quiet, clock, durable: false, random: () => 0 });
  t.after(() => ob.stop());
  await ob.start();
  tg.faults.push({ status: 429, retryAfter: 30 });
  const { id, channel, ...base } = note();
  void id;
  void channel;
  await ob.enqueue(base, ["telegram", "webhook"]);
  await waitFor(
    "webhook delivered while telegram waits out its rate limit",
    () => hook.accepted.length === 1 && ob.channelStatus().find((c) => c.channel === "telegram")?.next_attempt_at,
  );
  const next = Date.parse(ob.channelStatus().find((c) => c.channel === "telegram")?.next_attempt_at ?? "");
  assert.ok(next - clock.now() >= 30_000, "the retry is scheduled no sooner than retry_after");
  await clock.advance(29_000);
  assert.equal(tg.all.length, 1, "no retry before retry_after");
  await clock.advance(2_000);
  await waitFor("telegram delivery after retry_after", () => tg.accepted.length === 1);
  await waitFor("outbox empty", () => ob.drained);
  assert.equal(ob.counters.get("telegram\tretry"), 1);
  assert.equal(ob.counters.get("telegram\tsent"), 1);
});
