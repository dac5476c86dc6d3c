import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { PostgresStore } from "../../src/hub/store/postgres.ts";
import { SqliteStore } from "../../src/hub/store/sqlite.ts";
import { startPostgres } from "../helpers/postgres.ts";
import { tempDir } from "../helpers/tools.ts";
import { storeContract, TIERS } from "./store.contract.ts";

test("the store contract on SQLite (better-sqlite3, WAL, group commit)", async (t) => {
  const dir = tempDir(t);
  await storeContract(t, async () => {
    const s = new SqliteStore(join(dir, "hub.sqlite"), TIERS, 10);
    await s.init();
    return s;
  });
});

test("the store contract on PostgreSQL 15 (Debian, started in a temp dir)", { timeout: 120_000 }, async (t) => {
  const url = await startPostgres(t);
  if (!url) return;
  await storeContract(t, async () => {
    const s = new PostgresStore(url, TIERS);
    await s.init();
    return s;
  });
});

test("a SQLite store written before the fleet columns opens: silences and checks gain their new columns", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "old.sqlite");
  const mod = "better-sqlite3";
  const Database = (
    (await import(mod)) as {
      default: new (f: string) => { exec(q: string): void; prepare(q: string): { run(): void }; close(): void };
    }
  ).default;
  const old = new Database(file);
  old.exec(`CREATE TABLE silences (id TEXT PRIMARY KEY, device TEXT, site TEXT, tag TEXT, starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL, comment TEXT NOT NULL)`);
  old.exec(`CREATE TABLE checks (uuid TEXT PRIMARY KEY, slug TEXT, name TEXT NOT NULL, period_ms BIGINT NOT NULL,
    grace_ms BIGINT NOT NULL, schedule TEXT, state TEXT NOT NULL, last_ping BIGINT, started_at BIGINT, start_rid TEXT,
    last_exit INTEGER, last_body TEXT, pings BIGINT NOT NULL, created BIGINT NOT NULL)`);
  old.prepare("INSERT INTO silences VALUES ('s1', NULL, 'gym', NULL, 1, 2, 'old')").run();
  old.close();
  for (let i = 0; i < 2; i++) {
    const s = new SqliteStore(file, TIERS, 10);
    await s.init();
    assert.deepEqual(await s.listSilences(), [
      { id: "s1", device: null, site: "gym", tag: null, starts_at: 1, ends_at: 2, comment: "old", created_at: null },
    ]);
    await s.close();
  }
});
