import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { join } from "node:path";
import type { Config } from "../agent/config.ts";
import type { ActionSpec } from "../agent/recovery/config.ts";
import { createAction } from "../agent/recovery/index.ts";
import { createChannels } from "../notify/notifier.ts";
import { emitEvent } from "../protocol/events.ts";
import type { JsonObject } from "../protocol/json.ts";
import {
  configOption,
  defineCommand,
  dirOption,
  EXIT_FAIL,
  EXIT_OK,
  parse,
  resolveConfig,
  resolveDir,
  UsageError,
} from "./command.ts";
import { readRebootGuard } from "./status-summary/gather.ts";

type Verdict = "PASS" | "FAIL" | "WARN" | "INFO";
interface Check {
  verdict: Verdict;
  step: string;
  detail: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function getText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.text();
}

/** Notifications sent so far per channel, from the agent's own /metrics. */
async function sentPerChannel(url: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await getText(`${url}/metrics`)).split("\n")) {
    const m = /^edgewatch_notifications_total\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || !/result="sent"/.test(m[1] as string)) continue;
    const ch = /channel="([^"]*)"/.exec(m[1] as string)?.[1];
    if (ch !== undefined) out.set(ch, (out.get(ch) ?? 0) + Number(m[2]));
  }
  return out;
}

function onPath(program: string): string | null {
  if (program.includes("/")) {
    try {
      accessSync(program, constants.X_OK);
      return program;
    } catch {
      return null;
    }
  }
  for (const dir of (process.env.PATH ?? "").split(":")) {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return join(dir, program);
    } catch {}
  }
  return null;
}

/** What running the action would run, checked without running it: the programs exist, sudo allows them. */
export function dryRun(spec: ActionSpec): { ok: boolean; detail: string } {
  const action = createAction(spec);
  const problems: string[] = [];
  for (const argv of action.argvs) {
    const sudo = argv[0] === "sudo" || argv[0]?.endsWith("/sudo");
    const cmd = sudo ? argv.slice(1) : argv;
    const abs = cmd[0] ? onPath(cmd[0]) : null;
    if (!abs) {
      problems.push(`${JSON.stringify(cmd[0] ?? "")} is not an executable program here`);
      continue;
    }
    if (sudo) {
      if (!onPath("sudo")) problems.push("sudo is not installed");
      else {
        try {
          // -n: never ask for a password; -l CMD: "would sudo run this?", without running it
          execFileSync("sudo", ["-n", "-l", abs, ...cmd.slice(1)], { stdio: "ignore", timeout: 10_000 });
        } catch {
          problems.push(
            `sudo would not run "${[abs, ...cmd.slice(1)].join(" ")}" without a password (edgewatch install writes the sudoers line)`,
          );
        }
      }
    }
  }
  return problems.length
    ? { ok: false, detail: `${action.label}: ${problems.join("; ")}` }
    : { ok: true, detail: `would run: ${action.argvs.map((a) => a.join(" ")).join(" && ")}` };
}

/** The alert path end to end: one critical test event through the status protocol, then its all-clear. */
async function alertPath(config: Config, dir: string, url: string, timeoutMs: number, say: (c: Check) => void) {
  const channels = createChannels(config).map((c) => c.name);
  if (channels.length === 0) {
    say({ verdict: "FAIL", step: "alert path", detail: "no notification channels configured (notify.channels)" });
    return;
  }
  const before = await sentPerChannel(url);
  const code = `DRILL-${Date.now().toString(36).toUpperCase()}`;
  await emitEvent(
    "drill",
    { level: "critical", code, message: "fire drill: test alert from edgewatch drill, no action needed" },
    { dir },
  );
  say({
    verdict: "INFO",
    step: "alert path",
    detail: `test event ${code} written to ${dir}; waiting up to ${timeoutMs / 1000} s for every channel`,
  });
  const started = Date.now();
  const pending = new Set(channels);
  while (pending.size > 0 && Date.now() - started < timeoutMs) {
    await sleep(250);
    const now = await sentPerChannel(url).catch(() => new Map<string, number>());
    for (const ch of [...pending]) {
      if ((now.get(ch) ?? 0) > (before.get(ch) ?? 0)) {
        pending.delete(ch);
        say({
          verdict: "PASS",
          step: `channel ${ch}`,
          detail: `test alert delivered after ${((Date.now() - started) / 1000).toFixed(1)} s`,
        });
      }
    }
  }
  if (pending.size > 0) {
    const alerts = JSON.parse(await getText(`${url}/api/alerts?limit=0`).catch(() => "{}")) as JsonObject;
    const stats = ((alerts.notifications as JsonObject | undefined)?.channels ?? []) as JsonObject[];
    for (const ch of pending) {
      const s = stats.find((x) => x.channel === ch);
      const why = s?.last_error
        ? `last error: ${s.last_error}`
        : "not sent (a silence, or the channel's min_level above critical?)";
      say({
        verdict: "FAIL",
        step: `channel ${ch}`,
        detail: `test alert not delivered within ${timeoutMs / 1000} s; ${why}`,
      });
    }
  }
  await emitEvent("drill", { level: "info", code, message: "fire drill over" }, { dir });
  say({
    verdict: "INFO",
    step: "alert path",
    detail: `all-clear event ${code} written (the alert resolves; channels get a RESOLVED notice)`,
  });
}

export default defineCommand({
  name: "drill",
  usage: `Usage: edgewatch drill [--config FILE] [--dir DIR] [--url URL] [--timeout SECONDS] [--json]

A guided, safe fire drill, for before going live and after changing the config:
  1. the agent answers on its HTTP port;
  2. a critical test event (source "drill") goes through the status protocol and must reach every
     notification channel, then an all-clear resolves it (your phone gets a test alert and a RESOLVED);
  3. each watch's restart action, and the reboot action, is dry-run: the program exists and sudo
     would run it without a password (sudo -n -l), but nothing is restarted or rebooted;
  4. the watches' current health and the reboot guard's state are shown.
Prints a report; exit 0 when every check passed, 1 otherwise. Run it as the agent's user (the
unit's User=): the sudo check answers for the user that runs the drill.

Options:
  -c, --config FILE    config file (default: $EDGEWATCH_CONFIG, else /etc/edgewatch/config.yaml when it exists)
  -d, --dir DIR        status directory (default: $EDGEWATCH_DIR, else the config's status_dir)
      --url URL        the agent's base URL (default: from http.bind and http.port)
      --timeout SECS   how long to wait for each channel (default 60)
      --json           print the report as JSON
  -h, --help           this help`,
  async run(args) {
    const { values } = parse(
      args,
      {
        ...configOption,
        ...dirOption,
        url: { type: "string" },
        timeout: { type: "string" },
        json: { type: "boolean" },
      },
      false,
    );
    const timeout = values.timeout === undefined ? 60 : Number(values.timeout);
    if (!(timeout > 0))
      throw new UsageError(`--timeout: expected a positive number of seconds, got ${JSON.stringify(values.timeout)}`);
    const config = resolveConfig(values);
    const dir = resolveDir(values);
    const host = config.http.bind === "0.0.0.0" || config.http.bind === "::" ? "127.0.0.1" : config.http.bind;
    const url = (values.url ?? `http://${host}:${config.http.port}`).replace(/\/$/, "");
    const checks: Check[] = [];
    const say = (c: Check) => {
      checks.push(c);
      if (!values.json) process.stdout.write(`${c.verdict.padEnd(4)}  ${c.step}: ${c.detail}\n`);
    };
    if (!values.json)
      process.stdout.write(`edgewatch drill on ${config.device.id} (${config.device.site}), agent at ${url}\n`);

    let recovery: JsonObject | null = null;
    try {
      await getText(`${url}/health`);
      say({ verdict: "PASS", step: "agent", detail: `answers at ${url}` });
      recovery = JSON.parse(await getText(`${url}/api/recovery?lines=1`)) as JsonObject;
    } catch (err) {
      say({
        verdict: "FAIL",
        step: "agent",
        detail: `not answering at ${url} (${(err as Error).message}): start it (systemctl start edgewatch-agent) and run the drill again`,
      });
    }
    if (checks.at(-1)?.verdict === "PASS") await alertPath(config, dir, url, timeout * 1000, say);
    else say({ verdict: "FAIL", step: "alert path", detail: "not checked: it needs the running agent" });

    const live = (recovery?.watches ?? []) as JsonObject[];
    if (config.recovery.watches.length === 0)
      say({
        verdict: "WARN",
        step: "watches",
        detail: "none configured (recovery.watches): nothing restarts a stuck program",
      });
    for (const w of config.recovery.watches) {
      const a = live.find((x) => x.name === w.name);
      if (a)
        say({
          verdict: a.healthy ? "PASS" : "WARN",
          step: `watch ${w.name}`,
          detail: a.healthy ? `healthy (${a.phase})` : `not healthy: ${a.reason ?? a.phase}`,
        });
      if (!w.restart) {
        say({ verdict: "WARN", step: `watch ${w.name}`, detail: "no restart action: a failure only alerts" });
        continue;
      }
      const d = dryRun(w.restart);
      say({ verdict: d.ok ? "PASS" : "FAIL", step: `watch ${w.name} restart (dry run)`, detail: d.detail });
    }
    const g =
      (recovery?.reboot_guard as JsonObject | undefined) ??
      (await readRebootGuard(join(config.state_dir, "recovery", "reboots.json"), config.recovery.reboots_per_day));
    say({
      verdict: g.problem ? "WARN" : "INFO",
      step: "reboot guard",
      detail: `${g.reboots_last_24h} of ${g.limit} automatic reboots used in the last 24 h; ${g.allowed ? "a reboot would be allowed now" : "a reboot would be refused now"}${g.problem ? ` (${g.problem})` : ""}`,
    });
    const r = dryRun(config.recovery.reboot);
    say({ verdict: r.ok ? "PASS" : "FAIL", step: "reboot action (dry run)", detail: r.detail });

    const failed = checks.filter((c) => c.verdict === "FAIL").length;
    const warned = checks.filter((c) => c.verdict === "WARN").length;
    const passed = checks.filter((c) => c.verdict === "PASS").length;
    const summary = `drill ${failed ? "FAILED" : "passed"}: ${passed} passed, ${failed} failed, ${warned} warnings`;
    if (values.json) process.stdout.write(`${JSON.stringify({ url, ok: failed === 0, checks, summary }, null, 2)}\n`);
    else process.stdout.write(`${summary}\n`);
    return failed ? EXIT_FAIL : EXIT_OK;
  },
});
