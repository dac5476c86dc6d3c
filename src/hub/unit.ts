import { mkdirSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const HUB_CONFIG = "/etc/edgewatch/hub.yaml";

const quoteArg = (a: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `"${a.replace(/(["\\])/g, "\\$1")}"`);

/** The hub's systemd unit: restarted on any exit; its store under /var/lib/edgewatch-hub (StateDirectory). */
export function hubUnit(o: { exec: string[]; user: string; configPath: string }): string {
  return `# edgewatch hub: written by \`edgewatch install --hub\`
[Unit]
Description=edgewatch hub (fleet liveness, alerts, dead-man pings, Prometheus discovery)
Documentation=man:systemd.service(5)
Wants=network-online.target
After=network-online.target
StartLimitIntervalSec=600
StartLimitBurst=5

[Service]
Type=simple
User=${o.user}
ExecStart=${[...o.exec, "hub", "--config", o.configPath].map(quoteArg).join(" ")}
Restart=always
RestartSec=5
# SIGTERM lets the hub finish the commit in flight; acknowledged pushes are already on disk.
TimeoutStopSec=30
StateDirectory=edgewatch-hub
StateDirectoryMode=0700
MemoryMax=1G
NoNewPrivileges=yes
ProtectSystem=full
PrivateTmp=yes
Environment=NODE_ENV=production

[Install]
WantedBy=multi-user.target
`;
}

/** `edgewatch install --hub`: write (or print) the hub's unit. */
export function installHub(values: { print?: boolean; user: string; config?: string; "unit-dir"?: string }): number {
  const script = process.argv[1] ? realpathSync(process.argv[1]) : null;
  if (!script) throw new Error("cannot tell where the edgewatch CLI is");
  const text = hubUnit({
    exec: [process.execPath, script],
    user: values.user,
    configPath: values.config ?? HUB_CONFIG,
  });
  const path = join(values["unit-dir"] ?? "/etc/systemd/system", "edgewatch-hub.service");
  if (values.print) {
    process.stdout.write(`### ${path}\n${text}\n`);
    return 0;
  }
  try {
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, text, { mode: 0o644 });
  } catch (err) {
    process.stderr.write(
      `edgewatch install: cannot write ${path}: ${(err as Error).message} (run as root, or use --print)\n`,
    );
    return 1;
  }
  process.stdout.write(`wrote ${path}\nnext: systemctl daemon-reload && systemctl enable --now edgewatch-hub\n`);
  return 0;
}
