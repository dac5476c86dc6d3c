import { randomBytes } from "node:crypto";
import { closeSync, promises as fsp, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** A dot-named temp file beside `path`: same filesystem (so rename is atomic), never read as data. */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(3).toString("hex")}.tmp`);
}

/**
 * Replace `path` whole: write a dot-named temp file beside it, then rename() over the target.
 * Readers see the old file or the new one, never half of one. A dot name is never read as data.
 * `durable` adds fsync of the file and its folder (for SD-card state that must survive power loss;
 * pointless on the tmpfs status dir).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, durable = false): Promise<void> {
  const tmp = tempPathFor(path);
  const fh = await fsp.open(tmp, "w", 0o644);
  try {
    await fh.writeFile(data);
    if (durable) await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await fsp.unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  try {
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.unlink(tmp).catch(() => {});
    throw err;
  }
  if (durable) {
    const dh = await fsp.open(dirname(path), "r");
    await dh.sync().finally(() => dh.close());
  }
}

/**
 * mkdir -p that always terminates. Node's own `mkdir(..., { recursive: true })` loops forever on
 * paths such as /proc/self/x (a parent that exists yet refuses children with ENOENT).
 */
export async function mkdirp(path: string, depth = 0): Promise<void> {
  try {
    await fsp.mkdir(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      if (!(await fsp.stat(path)).isDirectory()) throw err;
      return;
    }
    const parent = dirname(path);
    if (code !== "ENOENT" || depth >= 64 || parent === path) throw err;
    await mkdirp(parent, depth + 1);
    await fsp.mkdir(path).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== "EEXIST") throw again;
    });
  }
}

/**
 * writeFileAtomic for small files, done synchronously: a status fragment is a few hundred bytes on
 * a tmpfs, where the promise round-trips cost far more than the write itself, and a synchronous
 * read-modify-write cannot interleave with another one in the same process.
 */
export function writeFileAtomicSync(path: string, data: string): void {
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, "w", 0o644);
  try {
    writeSync(fd, data);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {}
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {}
    throw err;
  }
}
