import { z } from "zod";

/** The largest thumbnail a device may send (an EXIF thumbnail is ~5–20 KiB). */
export const THUMBNAIL_MAX = 64 * 1024;

/** `thumbnail` in a push: the newest photo's small JPEG, base64. */
export const thumbnailBody = z.strictObject({
  jpeg: z.string().max(Math.ceil(THUMBNAIL_MAX / 3) * 4 + 4),
});

/** The JPEG bytes of a pushed thumbnail; null when it is not a JPEG of at most 64 KiB. */
export function thumbnailBytes(t: z.output<typeof thumbnailBody>): Buffer | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t.jpeg)) return null;
  const b = Buffer.from(t.jpeg, "base64");
  if (b.length < 4 || b.length > THUMBNAIL_MAX || b[0] !== 0xff || b[1] !== 0xd8) return null;
  return b;
}
