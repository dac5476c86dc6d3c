import { closeSync, openSync, readdirSync, readSync } from "node:fs";

const MISSING = new Set(["ENOENT", "ENOTDIR", "ENODEV", "ENXIO"]);
// One buffer reused for every small read: /proc and /sys files are a few KiB, generated in memory.
const BUF = Buffer.allocUnsafe(64 * 1024);

/**
 * A small procfs/sysfs text file (up to 64 KiB), or null when it does not exist (missing hardware is
 * "no data", not an error). Synchronous on purpose: these files are generated in kernel memory, so a
 * read takes microseconds, and the thread-pool round trips of fs.promises cost ~10× more CPU than the
 * read itself (measured in bench/collectors.bench.mjs). Disk-backed calls (statfs) stay asynchronous.
 */
export async function readText(path: string, _signal?: AbortSignal): Promise<string | null> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    if (MISSING.has((err as NodeJS.ErrnoException).code ?? "")) return null;
    throw err;
  }
  try {
    let n = 0;
    for (;;) {
      const got = readSync(fd, BUF, n, BUF.length - n, null);
      if (got === 0 || n + got >= BUF.length) {
        n += got;
        break;
      }
      n += got;
    }
    return BUF.toString("utf8", 0, n);
  } catch (err) {
    if (MISSING.has((err as NodeJS.ErrnoException).code ?? "")) return null;
    throw err;
  } finally {
    closeSync(fd);
  }
}

/** Directory entries, or [] when the directory does not exist. */
export async function listDir(path: string): Promise<string[]> {
  try {
    return readdirSync(path);
  } catch (err) {
    if (MISSING.has((err as NodeJS.ErrnoException).code ?? "")) return [];
    throw err;
  }
}
