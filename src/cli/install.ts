import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, realpathSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import type { Config } from "../agent/config.ts";
import { loadConfig, validateConfig } from "../agent/config.ts";
import { agentUnit, sudoersFile, sudoersLines, UNIT_DEFAULTS, type UnitOptions } from "../agent/recovery/index.ts";
import { ConfigError } from "../config/load.ts";
import { DEFAULT_CONFIG_PATH, defineCommand, EXIT_FAIL, EXIT_OK, parse, UsageError } from "./command.ts";

const DEFAULT_CONFIG = DEFAULT_CONFIG_PATH;

function which(program: string): string | null {
  try {
    return execFileSync("sh", ["-c", 'command -v "$1"', "sh", program], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

/** The user's primary group name (`id -gn USER`), or the user's name when the user is not known here. */
function primaryGroup(user: string): string {
  try {
    return (
      execFileSync("id", ["-gn", "--", user], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || user
    );
  } catch {
    return user;
  }
}

export default defineCommand({
  name: "install",
  usage: `Usage: edgewatch install [--hub] [--print] [--user USER] [--config FILE] [--unit-dir DIR] [--sudoers-dir DIR]

Writes edgewatch-agent.service (Type=notify, Restart=always, WatchdogSec, Nice, CPUQuota,
MemoryMax) and /etc/sudoers.d/edgewatch with one line for each configured recovery command that
starts with "sudo" (exactly those commands and arguments). Then run:
  systemctl daemon-reload && systemctl enable --now edgewatch-agent

Options:
  --hub               write the fleet hub's unit (edgewatch-hub.service; config default /etc/edgewatch/hub.yaml) instead
  --print             print everything to stdout instead of writing files
  --user USER         user the agent runs as (default: $SUDO_USER, else the current user)
  --group GROUP       group whose members may write status (default: USER's primary group)
  -c, --config FILE   agent config (default ${DEFAULT_CONFIG}; its recovery commands make the sudoers lines)
  --unit-dir DIR      where units go (default /etc/systemd/system)
  --sudoers-dir DIR   where the sudoers file goes (default /etc/sudoers.d)
  --nice N            Nice= (default ${UNIT_DEFAULTS.nice})
  --cpu-quota Q       CPUQuota= (default ${UNIT_DEFAULTS.cpuQuota})
  --memory-max M      MemoryMax= (default ${UNIT_DEFAULTS.memoryMax})
  -h, --help          this help`,
  async run(args) {
    const { values } = parse(
      args,
      {
        print: { type: "boolean" },
        hub: { type: "boolean" },
        user: { type: "string" },
        group: { type: "string" },
        config: { type: "string", short: "c" },
        "unit-dir": { type: "string" },
        "sudoers-dir": { type: "string" },
        nice: { type: "string" },
        "cpu-quota": { type: "string" },
        "memory-max": { type: "string" },
      },
      false,
    );
    const user = values.user ?? process.env.SUDO_USER ?? userInfo().username;
    if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) {
      throw new UsageError(`--user: expected a user name like "pi", got ${JSON.stringify(user)}`);
    }
    if (values.hub) return (await import("../hub/unit.ts")).installHub({ ...values, user });
    const group = values.group ?? primaryGroup(user);
    if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(group)) {
      throw new UsageError(`--group: expected a group name like "video", got ${JSON.stringify(group)}`);
    }
    const nice = values.nice === undefined ? UNIT_DEFAULTS.nice : Number(values.nice);
    if (!Number.isInteger(nice) || nice < -20 || nice > 19) {
      throw new UsageError(`--nice: expected an integer from -20 to 19, got ${JSON.stringify(values.nice)}`);
    }
    const cpuQuota = values["cpu-quota"] ?? UNIT_DEFAULTS.cpuQuota;
    if (!/^\d{1,4}%$/.test(cpuQuota))
      throw new UsageError(`--cpu-quota: expected a percentage like "5%", got ${JSON.stringify(cpuQuota)}`);
    const memoryMax = values["memory-max"] ?? UNIT_DEFAULTS.memoryMax;
    if (!/^\d+[KMG]?$/.test(memoryMax))
      throw new UsageError(`--memory-max: expected a size like "96M", got ${JSON.stringify(memoryMax)}`);

    const configPath = values.config ?? DEFAULT_CONFIG;
    let config: Config;
    try {
      config =
        values.config || existsSync(DEFAULT_CONFIG) ? loadConfig(configPath).config : validateConfig({}, "defaults");
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`edgewatch install: ${err.message}\n`);
        return EXIT_FAIL;
      }
      throw err;
    }
    const { lines, problems } = sudoersLines(config, user, which);
    if (problems.length) {
      process.stderr.write(`edgewatch install: cannot write sudoers lines:\n  ${problems.join("\n  ")}\n`);
      return EXIT_FAIL;
    }
    // The CLI that is running now, by absolute paths (systemd needs them).
    const script = process.argv[1] ? realpathSync(process.argv[1]) : null;
    if (!script) throw new Error("cannot tell where the edgewatch CLI is");
    const opts: UnitOptions = { exec: [process.execPath, script], user, group, configPath, nice, cpuQuota, memoryMax };
    const files: [string, string, number][] = [
      [join(values["unit-dir"] ?? "/etc/systemd/system", "edgewatch-agent.service"), agentUnit(opts), 0o644],
    ];
    files.push([join(values["sudoers-dir"] ?? "/etc/sudoers.d", "edgewatch"), sudoersFile(user, lines), 0o440]);

    if (values.print) {
      for (const [path, text] of files) process.stdout.write(`### ${path}\n${text}\n`);
      return EXIT_OK;
    }
    for (const [path, text, mode] of files) {
      try {
        mkdirSync(join(path, ".."), { recursive: true });
        writeFileSync(path, text, { mode });
      } catch (err) {
        process.stderr.write(
          `edgewatch install: cannot write ${path}: ${(err as Error).message} (run as root, or use --print)\n`,
        );
        return EXIT_FAIL;
      }
      process.stdout.write(`wrote ${path}\n`);
    }
    process.stdout.write("next: systemctl daemon-reload && systemctl enable --now edgewatch-agent\n");
    return EXIT_OK;
  },
});
