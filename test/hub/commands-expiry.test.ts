// Commands that wait too long: one never picked up fails as expired instead of running late; one
// handed out whose result never came is closed as failed. Both are audit lines.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { Audit } from "../../src/hub/audit.ts";
import { COMMAND_TTL_MS, commandResults, takeCommands } from "../../src/hub/commands.ts";
import type { HubContext } from "../../src/hub/context.ts";
import { jsonLogger } from "../../src/hub/kernel.ts";
import { SqliteStore } from "../../src/hub/store/sqlite.ts";
import { tempDir } from "../helpers/tools.ts";
import { TIERS } from "./store.contract.ts";

test("a stale queued command expires, an unanswered sent one fails, a fresh one is handed out once", async (t) => {
  const dir = tempDir(t, "ew-cmd-");
  const store = new SqliteStore(join(dir, "hub.sqlite"), TIERS, 5);
  await store.init();
  t.after(() => store.close());
  const audit = new Audit(dir, jsonLogger());
  const k = { store, audit } as unknown as HubContext;
  const now = Date.now();
  const cmd = (id: string, created: number, state: "queued" | "sent" = "queued") => ({
    id,
    device: "cam-1",
    action: id === "old-reboot" ? "reboot" : "test_camera",
    args: {},
    state,
    created_at: created,
    sent_at: state === "sent" ? created : null,
    finished_at: null,
    output: null,
    by: "admin@test",
  });
  await store.fleet.putCommand(cmd("stale", now - COMMAND_TTL_MS - 1000));
  await store.fleet.putCommand(cmd("old-reboot", now - COMMAND_TTL_MS - 1000, "sent"));
  await store.fleet.putCommand(cmd("fresh", now - 1000));
  assert.deepEqual(
    (await takeCommands(k, "cam-1", now)).map((c) => c.id),
    ["fresh"],
  );
  assert.deepEqual(await takeCommands(k, "cam-1", now + 1), [], "handed out once");
  const stale = await store.fleet.getCommand("stale");
  assert.equal(stale?.state, "failed");
  assert.match(stale?.output ?? "", /^expired: the device did not push within 15 minutes/);
  const reboot = await store.fleet.getCommand("old-reboot");
  assert.equal(reboot?.state, "failed");
  assert.match(reboot?.output ?? "", /no result from the device within 15 minutes .*a reboot may have cut it short/);
  assert.equal((await store.fleet.getCommand("fresh"))?.state, "sent");
  // a result for another device's command, or a second result, changes nothing
  await commandResults(k, "cam-2", [{ id: "fresh", ok: false, output: "spoofed" }], now + 2);
  assert.equal((await store.fleet.getCommand("fresh"))?.state, "sent");
  await commandResults(k, "cam-1", [{ id: "fresh", ok: true, output: "ok" }], now + 3);
  await commandResults(k, "cam-1", [{ id: "fresh", ok: false, output: "again" }], now + 4);
  assert.equal((await store.fleet.getCommand("fresh"))?.output, "ok");
  // with nothing open the device is settled (its pushes cost no query); a new command reopens it
  assert.deepEqual(await takeCommands(k, "cam-1", now + 5), []);
  assert.equal(store.fleet.mayHaveOpen("cam-1").open, false);
  const old = store.fleet.mayHaveOpen("cam-1").generation;
  await store.fleet.putCommand(cmd("next", now + 6));
  store.fleet.settled("cam-1", old);
  assert.equal(store.fleet.mayHaveOpen("cam-1").open, true, "a look older than the new command settles nothing");
  // a restarted hub knows which devices have open commands
  const again = new SqliteStore(join(dir, "hub.sqlite"), TIERS, 5);
  await again.init();
  t.after(() => again.close());
  assert.equal(again.fleet.mayHaveOpen("cam-1").open, true);
  assert.equal(again.fleet.mayHaveOpen("cam-9").open, false);
  assert.deepEqual(
    (await takeCommands({ store: again, audit } as unknown as HubContext, "cam-1", now + 7)).map((c) => c.id),
    ["next"],
  );
  await audit.flush();
  assert.deepEqual(
    audit.list(10).map((e) => e.action),
    ["command.result", "command.expired", "command.unanswered"],
  );
});
