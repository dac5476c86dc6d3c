import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";

/**
 * A test that needs a real tool (prometheus, redis-server, rsync, chromium, ...) calls this first.
 * Under CI=true a missing tool FAILS the test loudly; elsewhere it skips with a message saying
 * what to install. Returns the tool's absolute path, or null when skipped.
 */
export function requireTool(t: TestContext, tool: string, debianPackage = tool): string | null {
  const path = which(tool);
  if (path) return path;
  const msg = `${tool} not found: install Debian's ${debianPackage} (.ci/run does)`;
  if (process.env.CI === "true") throw new Error(`CI=true and ${msg}`);
  t.skip(msg);
  return null;
}

export function which(tool: string): string | null {
  if (tool.startsWith("/")) {
    try {
      execFileSync("test", ["-x", tool]);
      return tool;
    } catch {
      return null;
    }
  }
  try {
    return execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

const removeAtExit = new Set<() => void>();
process.once("exit", () => {
  for (const remove of removeAtExit) {
    try {
      remove();
    } catch {}
  }
});

/**
 * A fresh temporary directory, removed after the test. The test's after-hooks run in the order they
 * were added, so this removal can run before a later hook stops whatever still writes into the
 * folder (an outbox, an agent): when the folder is still busy, it is removed when the test file's
 * process exits instead. Cleanup is not what a test checks, so it never fails one.
 */
export function tempDir(t: TestContext, prefix = "ew-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
  t.after(() => {
    try {
      remove();
    } catch {
      // removed again at exit, below
    }
  });
  // A process a later after-hook stops (an agent flushing its history at SIGTERM) can write into the
  // dir once it is gone: remove it once more when the test file's process exits.
  removeAtExit.add(remove);
  return dir;
}

/** Wait until `check` returns a truthy value (polls every 20 ms), or throw after `timeoutMs` with `what`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
