// The bundle's entry (dist/edgewatch.mjs). V8 reads some of its settings when it compiles a script, so
// the agent's (src/agent/v8-flags.ts) are set here, before the rest of the CLI is loaded, whichever way
// the agent is started (the unit, bin/edgewatch, ./edgewatch.mjs agent).
import { setFlagsFromString } from "node:v8";
import { AGENT_V8_FLAGS } from "../agent/v8-flags.ts";

if (process.argv[2] === "agent") for (const flag of AGENT_V8_FLAGS) setFlagsFromString(flag);
await import("../cli/main.ts");
