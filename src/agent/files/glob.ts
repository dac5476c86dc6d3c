import { promises as fsp } from "node:fs";
import { join } from "node:path";

export interface NewestFile {
  path: string;
  mtimeMs: number;
  size: number;
}

const WILD = /[*?[]/;

function segmentRegex(seg: string): RegExp {
  let re = "";
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] as string;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = seg.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        const body = seg.slice(i + 1, end).replace(/\\/g, "\\\\");
        re += `[${body.startsWith("!") ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** A compiled absolute glob: `/data/pics/*.jpg`, `/data/pics/**\/*.jpg` (any depth), `?`, `[abc]`. */
export class Glob {
  readonly base: string;
  private readonly parts: (RegExp | "**")[];

  constructor(readonly pattern: string) {
    const segs = pattern.split("/").filter((s) => s !== "" && s !== ".");
    const first = segs.findIndex((s) => WILD.test(s));
    const fixed = first < 0 ? segs.length - 1 : first;
    this.base = `/${segs.slice(0, fixed).join("/")}`;
    this.parts = segs.slice(fixed).map((s) => (s === "**" ? "**" : segmentRegex(s)));
  }

  /**
   * The newest matching regular file by mtime, examining at most `budget.left` directory entries
   * (shared across globs). Symlinked directories are not followed (no loops); hidden files are skipped.
   */
  async newest(budget: { left: number }, best: NewestFile | null = null): Promise<NewestFile | null> {
    let found = best;
    const visit = async (dir: string, i: number): Promise<void> => {
      const part = this.parts[i];
      if (part === undefined || budget.left <= 0) return;
      if (part === "**") await visit(dir, i + 1); // zero directories
      let entries: import("node:fs").Dirent[];
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true });
      } catch {
        return; // missing or unreadable folder: no match here
      }
      const last = i === this.parts.length - 1;
      for (const e of entries) {
        if (--budget.left < 0) return;
        if (e.name.startsWith(".")) continue;
        const p = join(dir, e.name);
        if (part === "**") {
          if (e.isDirectory()) await visit(p, i);
          continue;
        }
        if (!part.test(e.name)) continue;
        if (last) {
          if (!e.isFile()) continue; // a symlink may point outside the folder: never served
          try {
            const st = await fsp.lstat(p);
            if (st.isFile() && (!found || st.mtimeMs > found.mtimeMs))
              found = { path: p, mtimeMs: st.mtimeMs, size: st.size };
          } catch {
            // vanished between readdir and stat
          }
        } else if (e.isDirectory()) {
          await visit(p, i + 1);
        }
      }
    };
    await visit(this.base, 0);
    return found;
  }
}

export async function newestOf(globs: readonly Glob[], maxEntries: number): Promise<NewestFile | null> {
  const budget = { left: maxEntries };
  let best: NewestFile | null = null;
  for (const g of globs) best = await g.newest(budget, best);
  return best;
}
