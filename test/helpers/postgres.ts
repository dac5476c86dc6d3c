import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { freePort } from "./redis.ts";
import { requireTool, waitFor } from "./tools.ts";

const BIN = "/usr/lib/postgresql/15/bin";

/**
 * A throwaway PostgreSQL 15 (Debian's postgresql) in a temp dir on a free loopback port, run as the
 * postgres user when the test runs as root (PostgreSQL refuses root). Returns its URL; null when skipped.
 */
export async function startPostgres(t: TestContext): Promise<string | null> {
  if (!requireTool(t, `${BIN}/postgres`, "postgresql")) return null;
  const dir = mkdtempSync(join(tmpdir(), "ew-pg-"));
  const asRoot = process.getuid?.() === 0;
  const pre = asRoot ? ["runuser", "-u", "postgres", "--"] : [];
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const data = join(dir, "data");
  const run = (cmd: string, args: string[]) =>
    execFileSync(pre[0] ?? cmd, [...pre.slice(1), ...(pre.length ? [cmd] : []), ...args], { stdio: "pipe" });
  run(`${BIN}/initdb`, ["-D", data, "-U", "edgewatch", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const port = await freePort();
  const args = ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"];
  const child: ChildProcess = spawn(
    pre[0] ?? `${BIN}/postgres`,
    [...pre.slice(1), ...(pre.length ? [`${BIN}/postgres`] : []), ...args],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let log = "";
  child.stderr?.on("data", (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  const exited = new Promise((r) => child.once("exit", r));
  t.after(async () => {
    // runuser does not pass signals on to postgres: stop it with pg_ctl (fast shutdown)
    try {
      run(`${BIN}/pg_ctl`, ["-D", data, "-m", "fast", "-w", "-t", "20", "stop"]);
    } catch {}
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  await waitFor(
    `postgres listening (log: ${log})`,
    () => {
      try {
        execFileSync(`${BIN}/pg_isready`, ["-h", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
        return true;
      } catch {
        return child.exitCode !== null ? Promise.reject(new Error(`postgres exited: ${log}`)) : false;
      }
    },
    60_000,
  );
  return `postgres://edgewatch@127.0.0.1:${port}/postgres`;
}
