/**
 * The agent's core: what src/agent/agent.ts keeps about itself (runtime.ts), the device document it
 * builds (document.ts), the redaction every answer goes through (redact.ts), and the types its
 * answers share with clients (types.ts). The modules that serve these (core, health, status,
 * metrics, history, files) enter here.
 */
export { buildDocument, liveFields } from "./document.ts";
export { REDACTED, redact, redactUrl } from "./redact.ts";
export type { AgentRuntime } from "./runtime.ts";
