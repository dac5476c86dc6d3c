import { join } from "node:path";
import type { HubStore, StoreConfig } from "./types.ts";

/** The configured store, initialised. Each implementation loads its driver only when chosen. */
export async function openStore(config: StoreConfig): Promise<HubStore> {
  const tiers = config.retention;
  let store: HubStore;
  if (config.store.type === "postgres") {
    const { PostgresStore } = await import("./postgres.ts");
    store = new PostgresStore(config.store.url, tiers);
  } else {
    const { SqliteStore } = await import("./sqlite.ts");
    store = new SqliteStore(
      config.store.file ?? join(config.state_dir, "hub.sqlite"),
      tiers,
      config.ingest.commit_interval,
    );
  }
  await store.init();
  return store;
}
