import { promises as fsp } from "node:fs";

/** A small text file, or null when it does not exist (missing hardware is "no data", not an error). */
export async function readText(path: string, signal?: AbortSignal): Promise<string | null> {
  try {
    return await fsp.readFile(path, { encoding: "utf8", signal });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "ENODEV" || code === "ENXIO") return null;
    throw err;
  }
}

/** Directory entries, or [] when the directory does not exist. */
export async function listDir(path: string): Promise<string[]> {
  try {
    return await fsp.readdir(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw err;
  }
}
