import type { Config } from "../config.ts";
import { createAction } from "./actions/index.ts";
import type { ActionSpec } from "./config.ts";

export interface UnitOptions {
  /** Absolute argv prefix that runs the CLI, e.g. ["/usr/bin/node", "/opt/edgewatch/bin/edgewatch"]. */
  exec: string[];
  user: string;
  /** The group whose members may write status (default: the user's own name, i.e. its usual primary group). */
  group?: string;
  configPath: string;
  nice?: number;
  cpuQuota?: string;
  memoryMax?: string;
  watchdogSec?: number;
}

export const UNIT_DEFAULTS = { nice: 19, cpuQuota: "5%", memoryMax: "96M", watchdogSec: 60 } as const;

/**
 * V8 heap bounds for the agent process, given to node itself (ExecStart, and the shebang of
 * bin/edgewatch and dist/edgewatch.mjs), so the started process stays the agent. Without them V8
 * lets the young generation and old space grow under sustained HTTP load until RSS passes
 * MemoryMax=96M (~100–116 MiB measured); with them the peak stays near 75 MiB (docs/bench/agent.md).
 * Old space 48 MB is several times what the agent keeps live; a 1 MB semi-space costs some
 * throughput under a flood of requests and nothing at a device's request rate.
 */
export const AGENT_NODE_FLAGS = ["--max-old-space-size=48", "--max-semi-space-size=1"] as const;

/**
 * The status directory and the folders writers write into, created by systemd before the start,
 * owned by User:Group with mode 0775: the agent's user and the members of Group= write, everyone else
 * reads. Writers need only status.d/ and events/{tmp,new}/; nothing is world-writable.
 */
export const RUNTIME_DIRS = [
  "edgewatch",
  "edgewatch/status.d",
  "edgewatch/events",
  "edgewatch/events/tmp",
  "edgewatch/events/new",
];

const quoteArg = (a: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `"${a.replace(/(["\\])/g, "\\$1")}"`);

/**
 * The agent's systemd unit. Type=notify: the agent sends READY=1 when started and WATCHDOG=1 at half
 * WatchdogSec; NotifyAccess=all because the messages come from short-lived `systemd-notify` children.
 * Nice=19 and CPUQuota=5% keep it from competing with capture and encoding; MemoryMax is 96M, not
 * 32M, because a Node process alone is ~43 MiB RSS (mostly the shared binary), and the heap flags
 * (AGENT_NODE_FLAGS) keep the peak under load well inside it.
 */
export function agentUnit(o: UnitOptions): string {
  return `# edgewatch agent: written by \`edgewatch install\`
[Unit]
Description=edgewatch agent (device observability and self-healing)
Documentation=man:systemd.service(5)
Wants=network-online.target
After=network-online.target
# Restart=always, but give up after 5 failed starts in 10 minutes instead of spinning.
StartLimitIntervalSec=600
StartLimitBurst=5

[Service]
Type=notify
NotifyAccess=all
User=${o.user}
# Members of this group may write status (status.d/, events/): add writers to it.
Group=${o.group ?? o.user}
# node itself runs the agent (no wrapper process), with its heap bounded to stay inside MemoryMax.
ExecStart=${[o.exec[0] as string, ...AGENT_NODE_FLAGS, ...o.exec.slice(1), "agent", "--config", o.configPath].map(quoteArg).join(" ")}
# systemctl reload: SIGHUP re-reads the config (an invalid one is refused, the running one kept).
ExecReload=/bin/kill -HUP $MAINPID
Restart=always
RestartSec=10
WatchdogSec=${o.watchdogSec ?? UNIT_DEFAULTS.watchdogSec}
TimeoutStartSec=90
Nice=${o.nice ?? UNIT_DEFAULTS.nice}
CPUQuota=${o.cpuQuota ?? UNIT_DEFAULTS.cpuQuota}
MemoryMax=${o.memoryMax ?? UNIT_DEFAULTS.memoryMax}
# The status protocol directory (a tmpfs) with the folders writers write into, User:Group 0775;
# and the persistent state directory (the agent's alone, 0755).
RuntimeDirectory=${RUNTIME_DIRS.join(" ")}
RuntimeDirectoryMode=0775
RuntimeDirectoryPreserve=yes
StateDirectory=edgewatch
Environment=NODE_ENV=production
# Two malloc arenas instead of one per thread: about 1 MiB less idle RSS (docs/bench/footprint.md).
Environment=MALLOC_ARENA_MAX=2

[Install]
WantedBy=multi-user.target
`;
}

/** Every action the config can run, with where it comes from (for sudoers lines). */
export function configuredActions(config: Config): { where: string; spec: ActionSpec }[] {
  const r = config.recovery;
  const out: { where: string; spec: ActionSpec }[] = [{ where: "recovery.reboot", spec: r.reboot }];
  r.watches.forEach((w, i) => {
    if (w.restart) out.push({ where: `recovery.watches[${i}].restart`, spec: w.restart });
    if (w.camera_recover) out.push({ where: `recovery.watches[${i}].camera_recover`, spec: w.camera_recover });
  });
  if (r.camera_test) out.push({ where: "recovery.camera_test", spec: r.camera_test });
  if (r.camera_recover) out.push({ where: "recovery.camera_recover", spec: r.camera_recover });
  r.restart_services.forEach((s, i) => {
    out.push({ where: `recovery.restart_services[${i}]`, spec: s });
  });
  for (const k of ["actions", "restore"] as const)
    r.emergency[k].forEach((s, i) => {
      out.push({ where: `recovery.emergency.${k}[${i}]`, spec: s });
    });
  return out;
}

/** sudoers escapes these in command arguments. */
const sudoersArg = (a: string) => a.replace(/([\\,:=\s])/g, "\\$1");

/**
 * Sudoers lines for exactly the configured commands that start with `sudo`: each names the full
 * program path and its exact arguments ("" when none, so no other arguments are allowed).
 * `resolve` turns a bare program name into an absolute path (sudoers requires one).
 */
export function sudoersLines(
  config: Config,
  user: string,
  resolve: (program: string) => string | null,
): { lines: string[]; problems: string[] } {
  const lines = new Set<string>();
  const problems: string[] = [];
  for (const { where, spec } of configuredActions(config)) {
    for (const argv of createAction(spec).argvs) {
      if (argv[0] !== "sudo" && !argv[0]?.endsWith("/sudo")) continue;
      const [program, ...args] = argv.slice(1);
      if (!program) {
        problems.push(`${where}: expected a program after "sudo", got nothing`);
        continue;
      }
      const abs = program.startsWith("/") ? program : resolve(program);
      if (!abs) {
        problems.push(
          `${where}: expected ${JSON.stringify(program)} to be a program on PATH (sudoers needs its full path), found none`,
        );
        continue;
      }
      lines.add(`${user} ALL=(root) NOPASSWD: ${abs} ${args.length ? args.map(sudoersArg).join(" ") : '""'}`);
    }
  }
  return { lines: [...lines], problems };
}

export function sudoersFile(user: string, lines: string[]): string {
  return `# edgewatch: the restart/reboot commands configured in recovery.*, and nothing else.
# Written by \`edgewatch install\`; check with \`visudo -cf FILE\`.
${lines.length ? lines.join("\n") : `# (no configured command uses sudo; ${user} needs no sudo rights)`}
`;
}
