import type { Command } from "./command.ts";

/**
 * Every CLI command, one file each in src/cli/: its name, the line the top help shows, and its file,
 * loaded only when that command runs (`edgewatch agent` never evaluates the hub's, the demo's or the
 * installer's code; the bundle puts each in its own chunk). test/cli/cli.test.ts checks none is missing.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<{ default: Command }>;
}

export const commands: CommandEntry[] = [
  {
    name: "agent",
    summary: "run the device agent (status reader, collectors, HTTP API, /metrics)",
    load: () => import("./agent.ts"),
  },
  {
    name: "status",
    summary: "show the whole device at a glance, or set / read status values",
    load: () => import("./status.ts"),
  },
  { name: "event", summary: "record an event (error events raise alerts)", load: () => import("./event.ts") },
  {
    name: "heartbeat",
    summary: "say a program is alive (bumps its fragment's mtime)",
    load: () => import("./heartbeat.ts"),
  },
  {
    name: "config",
    summary: "check a config file, or print the config's JSON Schema",
    load: () => import("./config.ts"),
  },
  {
    name: "demo",
    summary: "run a live demo: a hub and three simulated camera devices (--device: one device alone)",
    load: () => import("./demo.ts"),
  },
  {
    name: "drill",
    summary: "fire drill: check the alert path end to end and dry-run every recovery action",
    load: () => import("./drill.ts"),
  },
  {
    name: "run",
    summary: "run a job: ledger, retries with backoff, dead letters, status and alerts",
    load: () => import("./run.ts"),
  },
  {
    name: "runbook",
    summary: "print the device's recovery runbook (levels 1–8) in its own commands",
    load: () => import("./runbook.ts"),
  },
  {
    name: "transfer",
    summary: "copy with rsync, verify by checksum, then (optionally) delete the sources",
    load: () => import("./transfer.ts"),
  },
  {
    name: "notify",
    summary: "send a test message through each configured notification channel",
    load: () => import("./notify.ts"),
  },
  {
    name: "install",
    summary: "write (or print) the systemd units and the sudoers lines for this device",
    load: () => import("./install.ts"),
  },
  {
    name: "integrations",
    summary: "print or write the Prometheus, Grafana and Alertmanager configuration for this device",
    load: () => import("./integrations.ts"),
  },
  {
    name: "hub",
    summary: "run the fleet hub (devices push to it; it alerts when one goes silent)",
    load: () => import("./hub.ts"),
  },
];
