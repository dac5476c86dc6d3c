import { constants as osConstants } from "node:os";
import { JOB_NAME_RE } from "../jobs/config.ts";
import { jobsDir } from "../jobs/ledger.ts";
import { LockBusyError } from "../jobs/lock.ts";
import { EXIT_BUSY } from "../jobs/run.ts";
import { Transfer } from "../jobs/transfer.ts";
import { verifiedLedgerPath } from "../jobs/transfer-ledger.ts";
import {
  configOption,
  defineCommand,
  dirOption,
  EXIT_FAIL,
  EXIT_OK,
  parse,
  resolveConfig,
  UsageError,
} from "./command.ts";
import { countArg, durationArg } from "./run.ts";

export default defineCommand({
  name: "transfer",
  usage: `Usage: edgewatch transfer SRC DEST [--delete-source] [--retries N] [options]

Copies SRC (a directory: its contents; or one file) into DEST (a local directory, or
[user@]host:path over ssh) with rsync -a, then verifies every file by checksum (both sides
hashed when DEST is local; rsync --checksum --dry-run --itemize-changes when remote). Each
verified file is recorded in <state_dir>/transfers/verified.jsonl. With --delete-source, source
files are deleted only after the whole transfer verified, and only those unchanged since. A
broken rsync or a file that does not verify fails the attempt; it is retried with backoff (the
retry after a mismatch uses rsync --checksum). Unverified source files are never deleted.
A summary goes to the status fragment "transfer-NAME" (transfers.NAME.*) and /admin/transfer-status.

Options:
      --delete-source   delete each source file once its copy verified
  -r, --retries N       attempts after the first (default 2)
      --backoff LIST    waits before each retry (default 5m,15m,1h, ±20 % jitter)
      --bwlimit KIB     rsync --bwlimit, KiB/s
      --io-timeout D    abort an attempt when no data moves for D (default 2m)
  -n, --name NAME       transfer name for status and locking (default "default")
      --state-dir DIR   persistent state dir (default: the config's state_dir)
  -d, --dir DIR         status directory (default: $EDGEWATCH_DIR, else the config's status_dir)
  -c, --config FILE     config file
  -h, --help            this help

Exit codes: 0 all verified, 1 failed after the last attempt, 2 usage, 75 already running.

Example:
  edgewatch transfer /home/pi/photos backup@nas:/srv/photos --delete-source --retries 3`,
  async run(args) {
    const { values, positionals } = parse(args, {
      "delete-source": { type: "boolean" },
      retries: { type: "string", short: "r" },
      backoff: { type: "string" },
      bwlimit: { type: "string" },
      "io-timeout": { type: "string" },
      name: { type: "string", short: "n" },
      "state-dir": { type: "string" },
      ...dirOption,
      ...configOption,
    });
    if (positionals.length !== 2) {
      throw new UsageError(
        `expected SRC and DEST, got ${positionals.length} argument${positionals.length === 1 ? "" : "s"}`,
      );
    }
    const [src, dest] = positionals as [string, string];
    if (!src || !dest) throw new UsageError("SRC and DEST: expected non-empty paths");
    const name = values.name ?? "default";
    if (!JOB_NAME_RE.test(name)) {
      throw new UsageError(`--name: expected [a-z0-9][a-z0-9_-]{0,59}, got ${JSON.stringify(name)}`);
    }
    const retries = values.retries === undefined ? 2 : countArg("retries", values.retries);
    const backoffMs = (values.backoff ?? "5m,15m,1h").split(",").map((p) => durationArg("backoff", p.trim()));
    const bwlimitKiB = values.bwlimit === undefined ? undefined : countArg("bwlimit", values.bwlimit, 10_000_000);
    const ioTimeout = values["io-timeout"] === undefined ? 120_000 : durationArg("io-timeout", values["io-timeout"]);

    const config = resolveConfig(values);
    if (values["state-dir"]) config.state_dir = values["state-dir"];
    if (values.dir) config.status_dir = values.dir;
    else if (process.env.EDGEWATCH_DIR) config.status_dir = process.env.EDGEWATCH_DIR;

    const t = new Transfer({
      src,
      dest,
      deleteSource: values["delete-source"] ?? false,
      retries,
      backoffMs,
      ...(bwlimitKiB ? { bwlimitKiB } : {}),
      ioTimeoutS: Math.max(1, Math.round(ioTimeout / 1000)),
      name,
      stateDir: config.state_dir,
      jobsDir: jobsDir(config),
      statusDir: config.status_dir,
    });
    let s: Awaited<ReturnType<Transfer["run"]>>;
    // first signal: rsync is stopped, no retry; a second one: exit at once
    let signalled = false;
    const forward = (sig: NodeJS.Signals) => {
      if (signalled) process.exit(128 + (osConstants.signals[sig] ?? 0));
      signalled = true;
      t.signal(sig);
    };
    for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(sig, forward);
    try {
      s = await t.run();
    } catch (err) {
      if (err instanceof LockBusyError) {
        process.stderr.write(`edgewatch transfer: refusing to start "${name}": ${err.message}\n`);
        return EXIT_BUSY;
      }
      throw err;
    } finally {
      for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.off(sig, forward);
    }
    const line = `${s.status}: ${s.files} files, ${s.bytes} bytes, ${s.verified} verified, ${s.failed} not verified, ${s.deleted} source files deleted, ${s.attempts} attempt${s.attempts === 1 ? "" : "s"}`;
    if (s.status === "success") {
      process.stdout.write(`edgewatch transfer: ${line} (ledger ${verifiedLedgerPath(config.state_dir)})\n`);
      return EXIT_OK;
    }
    process.stderr.write(`edgewatch transfer: ${line}; last error: ${s.error}\n`);
    return EXIT_FAIL;
  },
});
