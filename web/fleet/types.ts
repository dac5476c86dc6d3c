// The hub's API types, shared with the server (type-only: nothing of the hub is bundled).
export type * from "../../src/hub/api-types.ts";
// The page's names for the hub's answer types (alerts, events, checks are the hub's views of them).
export type { AlertView as AlertRow, CheckView as CheckRow, EventView as EventRow } from "../../src/hub/api-types.ts";
export { HISTORY_KEYS } from "../../src/hub/history-keys.ts";
