import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { startAgent } from "../../../src/agent/agent.ts";
import { validateConfig } from "../../../src/agent/config.ts";
import type { AgentModule, Logger } from "../../../src/agent/module.ts";
import { tempDir } from "../../helpers/tools.ts";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

// systemd's READY=1 goes out from a module's ready() hook: it must come only once the HTTP server
// answers, or systemd would call the agent up while its port still refuses connections.
test("modules' ready() hooks run after the HTTP server listens, with its URL", async (t) => {
  const dir = tempDir(t);
  const config = validateConfig({ status_dir: join(dir, "s"), state_dir: join(dir, "st") }, "test", {});
  const seen: { url: string; health: number }[] = [];
  const probe: AgentModule = {
    name: "probe",
    start() {},
    async ready(url) {
      seen.push({ url, health: (await fetch(`${url}/health`)).status });
    },
  };
  const agent = await startAgent(config, { log: quiet, port: 0, host: "127.0.0.1", factories: [() => probe] });
  t.after(() => agent.stop());
  assert.deepEqual(seen, [{ url: agent.url, health: 200 }]);
});
