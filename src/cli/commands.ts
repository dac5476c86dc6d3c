import agent from "./agent.ts";
import type { Command } from "./command.ts";
import config from "./config.ts";
import demo from "./demo.ts";
import drill from "./drill.ts";
import event from "./event.ts";
import heartbeat from "./heartbeat.ts";
import hub from "./hub.ts";
import install from "./install.ts";
import integrations from "./integrations.ts";
import notify from "./notify.ts";
import run from "./run.ts";
import runbook from "./runbook.ts";
import status from "./status.ts";
import transfer from "./transfer.ts";

/** Every CLI command, one file each in src/cli/; test/cli/commands.test.ts checks none is missing. */
export const commands: Command[] = [
  agent,
  status,
  event,
  heartbeat,
  config,
  demo,
  drill,
  run,
  runbook,
  transfer,
  notify,
  install,
  integrations,
  hub,
];
