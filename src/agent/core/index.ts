/**
 * The agent's core: what src/agent/agent.ts keeps about itself (runtime.ts), the device document it
 * builds (document.ts) and the redaction every answer goes through (redact.ts). The modules that
 * report on these (core, health, status, metrics, history, files) enter here.
 */
export { buildDocument, liveFields } from "./document.ts";
export { REDACTED, redact, redactUrl } from "./redact.ts";
export type { AgentRuntime } from "./runtime.ts";
