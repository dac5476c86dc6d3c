import { constants as osConstants } from "node:os";
import { parseDuration } from "../config/kit.ts";
import { JOB_NAME_RE } from "../jobs/config.ts";
import { jobsDir } from "../jobs/ledger.ts";
import { LockBusyError } from "../jobs/lock.ts";
import { EXIT_BUSY, JobRunner } from "../jobs/run.ts";
import { configOption, defineCommand, dirOption, parse, resolveConfig, UsageError } from "./command.ts";

export function durationArg(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === null)
    throw new UsageError(`--${flag}: expected a duration like "30s", "5m" or "1h30m", got ${JSON.stringify(text)}`);
  return ms;
}

export function countArg(flag: string, text: string, max = 100): number {
  if (!/^\d+$/.test(text) || Number(text) > max) {
    throw new UsageError(`--${flag}: expected a whole number from 0 to ${max}, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

export default defineCommand({
  name: "run",
  usage: `Usage: edgewatch run --name NAME [options] -- COMMAND [ARGS...]

Runs COMMAND (no shell) and records every attempt (start, end, exit code or signal, duration,
the last lines of output) in the jobs ledger (<state_dir>/jobs/ledger.jsonl). A failed attempt is
retried after the next --backoff delay (±20 % jitter); after the last one the run is
dead-lettered (<state_dir>/jobs/dead-letter.jsonl) and an error event is emitted. The status
fragment "job-NAME" carries jobs.NAME.last_status, last_success, last_exit_code, ... .
Exits with COMMAND's own exit code (128+N when killed by signal N, 124 after --timeout,
127 when COMMAND cannot be started, 75 when NAME is already running).

Options:
  -n, --name NAME       job name ([a-z0-9][a-z0-9_-]{0,59}); required
  -r, --retries N       attempts after the first (default 0)
      --backoff LIST    waits before each retry, e.g. 5m,15m,1h (last repeats; default 30s)
  -t, --timeout D       kill an attempt after D (SIGTERM, SIGKILL 10 s later)
      --every D         the job must succeed every D (the agent alerts when it has not) ...
      --grace D         ... plus D of grace (default 0)
  -q, --queue           wait for a running NAME to finish instead of refusing
      --state-dir DIR   persistent state dir (default: the config's state_dir)
  -d, --dir DIR         status directory (default: $EDGEWATCH_DIR, else the config's status_dir)
  -c, --config FILE     config file
  -h, --help            this help

Example:
  edgewatch run --name nightly-backup --retries 3 --backoff 5m,15m,1h --every 24h --grace 2h \\
    -- rsync -a /home/pi/photos/ backup@nas:/photos/`,
  async run(args) {
    const sep = args.indexOf("--");
    if (sep < 0) {
      throw new UsageError(
        "expected `--` before the command, e.g. edgewatch run --name backup -- rsync -a src/ dest/; got no `--`",
      );
    }
    const command = args.slice(sep + 1);
    const { values, positionals } = parse(
      args.slice(0, sep),
      {
        name: { type: "string", short: "n" },
        retries: { type: "string", short: "r" },
        backoff: { type: "string" },
        timeout: { type: "string", short: "t" },
        every: { type: "string" },
        grace: { type: "string" },
        queue: { type: "boolean", short: "q" },
        "state-dir": { type: "string" },
        ...dirOption,
        ...configOption,
      },
      true,
    );
    if (positionals.length) {
      throw new UsageError(`unexpected ${JSON.stringify(positionals[0])} before \`--\`: the command goes after \`--\``);
    }
    if (!values.name) throw new UsageError("--name: expected a job name, got nothing");
    if (!JOB_NAME_RE.test(values.name)) {
      throw new UsageError(`--name: expected [a-z0-9][a-z0-9_-]{0,59}, got ${JSON.stringify(values.name)}`);
    }
    if (command.length === 0 || command[0] === "") throw new UsageError("expected a COMMAND after `--`, got nothing");
    const retries = values.retries === undefined ? 0 : countArg("retries", values.retries);
    const backoffMs = (values.backoff ?? "30s").split(",").map((p) => durationArg("backoff", p.trim()));
    const timeoutMs = values.timeout === undefined ? undefined : durationArg("timeout", values.timeout);
    if (timeoutMs === 0) throw new UsageError('--timeout: expected a duration above 0, got "0"');
    const everyMs = values.every === undefined ? undefined : durationArg("every", values.every);
    if (everyMs === 0) throw new UsageError('--every: expected a duration above 0, got "0"');
    const graceMs = values.grace === undefined ? undefined : durationArg("grace", values.grace);
    if (graceMs !== undefined && everyMs === undefined) throw new UsageError("--grace: expected --every with it");

    const config = resolveConfig(values);
    if (values["state-dir"]) config.state_dir = values["state-dir"];
    if (values.dir) config.status_dir = values.dir;
    else if (process.env.EDGEWATCH_DIR) config.status_dir = process.env.EDGEWATCH_DIR;

    const runner = new JobRunner({
      name: values.name,
      command,
      retries,
      backoffMs,
      jobsDir: jobsDir(config),
      ledgerMaxBytes: config.jobs.ledger_max_bytes,
      statusDir: config.status_dir,
      queue: values.queue ?? false,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(everyMs !== undefined ? { everyMs, graceMs: graceMs ?? 0 } : {}),
    });
    // first signal: forwarded to the command, no more retries; a second one: exit at once
    let signalled = false;
    const forward = (sig: NodeJS.Signals) => {
      if (signalled) process.exit(128 + (osConstants.signals[sig] ?? 0));
      signalled = true;
      runner.signal(sig);
    };
    for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(sig, forward);
    try {
      const res = await runner.run();
      return res.exitCode;
    } catch (err) {
      if (err instanceof LockBusyError) {
        process.stderr.write(
          `edgewatch run: refusing to start "${values.name}": ${err.message}; use --queue to wait\n`,
        );
        return EXIT_BUSY;
      }
      throw err;
    } finally {
      for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.off(sig, forward);
    }
  },
});
