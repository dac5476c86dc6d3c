import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import type { Config } from "../../config/schema.ts";
import { readExifThumbnail } from "../../lib/exif.ts";
import { Glob, newestOf } from "../files/index.ts";

/** The hub keeps thumbnails of at most this size; a bigger one is not sent. */
export const THUMBNAIL_MAX = 64 * 1024;

type HubSettings = NonNullable<Config["hub"]>;

/**
 * The device's thumbnail for the fleet page: the newest photo's embedded EXIF thumbnail (only the
 * file's first 64 KiB are read; no frame is ever decoded), or the configured `hub.thumbnail_file`.
 * Looked at no more often than `hub.thumbnail_every`, and handed out only when it changed.
 */
export class Thumbnails {
  private globs: Glob[];
  private lastLook = 0;
  private lastFile = "";
  private sentHash = "";
  private pending: { jpeg: Buffer; hash: string } | null = null;

  constructor(
    private readonly config: Config,
    private readonly hub: HubSettings,
    private readonly warn: (msg: string) => void,
  ) {
    this.globs = config.files.photos.map((g) => new Glob(g));
  }

  /** A thumbnail to send with this push, or null (none, unchanged, or not due yet). */
  async due(now: number): Promise<{ jpeg: string } | null> {
    const every = this.hub.thumbnail_every;
    if (every <= 0 || (!this.hub.thumbnail_file && this.globs.length === 0)) return null;
    if (!this.pending && now - this.lastLook >= every) {
      this.lastLook = now;
      const jpeg = await this.find();
      if (jpeg) {
        const hash = createHash("sha256").update(jpeg).digest("hex");
        if (hash !== this.sentHash) this.pending = { jpeg, hash };
      }
    }
    return this.pending ? { jpeg: this.pending.jpeg.toString("base64") } : null;
  }

  /** The hub acknowledged the push that carried it. */
  sent(): void {
    if (!this.pending) return;
    this.sentHash = this.pending.hash;
    this.pending = null;
  }

  private async find(): Promise<Buffer | null> {
    if (this.hub.thumbnail_file) {
      const f = this.hub.thumbnail_file;
      try {
        const st = await fsp.stat(f);
        if (!st.isFile() || st.size > THUMBNAIL_MAX || st.size < 4) {
          this.once(`hub: thumbnail_file ${f}: expected a JPEG file of at most 64 KiB, got ${st.size} bytes`);
          return null;
        }
        const b = await fsp.readFile(f);
        if (b[0] !== 0xff || b[1] !== 0xd8) {
          this.once(`hub: thumbnail_file ${f}: expected a JPEG (starting with FF D8), got other bytes`);
          return null;
        }
        return b;
      } catch (err) {
        this.once(`hub: cannot read thumbnail_file ${f}: ${(err as Error).message}`);
        return null;
      }
    }
    const newest = await newestOf(this.globs, this.config.files.max_scan_entries).catch(() => null);
    if (!newest) return null;
    const t = await readExifThumbnail(newest.path);
    if (!t) this.once(`hub: the newest photo ${newest.path} has no EXIF thumbnail; none is sent`);
    else if (t.length > THUMBNAIL_MAX) return null;
    return t;
  }

  private once(msg: string): void {
    if (msg === this.lastFile) return;
    this.lastFile = msg;
    this.warn(msg);
  }
}
