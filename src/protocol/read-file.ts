import { closeSync, constants, promises as fsp, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { EdgewatchError } from "./errors.ts";

/**
 * Never follow a symlink (its target may be outside the folder, or /dev/zero) and never block on
 * open (a FIFO without a writer would hold a libuv thread forever).
 */
const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export interface ReadResult {
  buf: Buffer;
  /** fstat of the descriptor that was read (not of whatever the name points to now). */
  stat: Stats;
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isDirectory()) return "a directory";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

function openProblem(path: string, err: NodeJS.ErrnoException): EdgewatchError | NodeJS.ErrnoException {
  // O_NOFOLLOW on a symlink fails with ELOOP
  if (err.code === "ELOOP" || err.code === "EMLINK") {
    return new EdgewatchError("EW_NOT_REGULAR_FILE", `${path}: expected a regular file, got a symbolic link`, {
      cause: err,
    });
  }
  if (err.code === "ENXIO") {
    return new EdgewatchError("EW_NOT_REGULAR_FILE", `${path}: expected a regular file, got a socket or device`, {
      cause: err,
    });
  }
  return err;
}

function notRegular(path: string, st: Stats): EdgewatchError {
  return new EdgewatchError("EW_NOT_REGULAR_FILE", `${path}: expected a regular file, got ${kindOf(st)}`);
}

function tooBig(path: string, got: string, limit: number): EdgewatchError {
  return new EdgewatchError("EW_FILE_TOO_BIG", `${path}: expected at most ${limit} bytes, got ${got}`);
}

/**
 * Read a file that anyone may have put there: a regular file only (no symlink, FIFO, device or
 * directory), at most `limit` bytes. Opens with O_NOFOLLOW|O_NONBLOCK, checks the opened descriptor
 * with fstat, and reads at most limit + 1 bytes whatever the file claims its size is. ENOENT and
 * other system errors are thrown as they are; refusals are EdgewatchErrors whose message names the
 * path, what was expected and what was found.
 */
export async function readRegularFile(path: string, limit: number): Promise<ReadResult> {
  const { fh, stat } = await openRegularFile(path);
  try {
    if (stat.size > limit) throw tooBig(path, `${stat.size}`, limit);
    const buf = Buffer.allocUnsafe(Math.min(stat.size, limit) + 1);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    // a file that grew past the limit between fstat and read
    if (got > limit) throw tooBig(path, "more", limit);
    return { buf: buf.subarray(0, got), stat };
  } finally {
    await fh.close().catch(() => {});
  }
}

/** readRegularFile, synchronously (for one-off reads at start-up and in writers). */
export function readRegularFileSync(path: string, limit: number): ReadResult {
  const { fd, stat } = openRegularFileSync(path);
  try {
    if (stat.size > limit) throw tooBig(path, `${stat.size}`, limit);
    const buf = Buffer.allocUnsafe(Math.min(stat.size, limit) + 1);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    if (got > limit) throw tooBig(path, "more", limit);
    return { buf: buf.subarray(0, got), stat };
  } finally {
    closeSync(fd);
  }
}

/**
 * Open a file for streaming from an offset (ledgers, photos): a regular file only, never through a
 * symlink, never blocking on open. The caller closes the handle.
 */
export async function openRegularFile(path: string): Promise<{ fh: fsp.FileHandle; stat: Stats }> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, FLAGS);
  } catch (err) {
    throw openProblem(path, err as NodeJS.ErrnoException);
  }
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw notRegular(path, stat);
    return { fh, stat };
  } catch (err) {
    await fh.close().catch(() => {});
    throw err;
  }
}

/** openRegularFile, synchronously; the caller closes the descriptor. */
export function openRegularFileSync(path: string): { fd: number; stat: Stats } {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (err) {
    throw openProblem(path, err as NodeJS.ErrnoException);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw notRegular(path, stat);
    return { fd, stat };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}
