// The sections still kept here, for the programs that compose them (the agent; the hub takes `notify`).
export { alertsSection } from "./alerts.ts";
export { type NotifyConfig, notifySection } from "./notify.ts";
