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
