import { z } from "zod";

const glob = () =>
  z
    .string()
    .min(1)
    .regex(/^\//, { error: "expected an absolute glob like /home/pi/pics/*.jpg" })
    .refine((g) => !g.split("/").includes(".."), { error: 'expected a glob without ".." segments' });

const logFile = () =>
  z.strictObject({
    path: z
      .string()
      .min(1)
      .regex(/^\//, { error: "expected an absolute path to a log file" })
      .describe("Absolute path of a log file"),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: "expected a short name of letters, digits, _ . -" })
      .optional()
      .describe("Name shown in /logs (default: the file's base name)"),
    format: z
      .enum(["auto", "python", "syslog", "json", "plain"])
      .default("auto")
      .describe(
        "How levels are read: python logging, syslog/journal-style, JSON lines, or plain; auto detects per line",
      ),
  });

/** `files:` — Where the device keeps photos, videos and logs (served by /latest/* and /logs). */
export const filesSection = () =>
  z
    .strictObject({
      photos: z
        .array(glob())
        .max(16)
        .default([])
        .describe("Globs of captured photos; /latest/photo serves the newest match (by mtime). * and ** are supported"),
      videos: z
        .array(glob())
        .max(16)
        .default([])
        .describe("Globs of videos; /latest/video serves the newest match, with Range requests"),
      logs: z
        .array(logFile())
        .max(32)
        .default([])
        .superRefine((list, ctx) => {
          const seen = new Set<string>();
          list.forEach((l, i) => {
            const name = l.name ?? l.path.slice(l.path.lastIndexOf("/") + 1);
            if (seen.has(name)) {
              ctx.addIssue({
                code: "custom",
                path: [i, "name"],
                message: `expected a unique log name, got ${JSON.stringify(name)} twice (set name: on one of them)`,
              });
            }
            seen.add(name);
          });
        })
        .describe("Log files served by /logs and /api/logs/recent (?file= picks one by name)"),
      max_scan_entries: z
        .number()
        .int()
        .min(100)
        .max(1_000_000)
        .default(50_000)
        .describe("Most directory entries one /latest/* lookup examines (bounds time on huge photo folders)"),
    })
    .prefault({})
    .describe("Where the device keeps photos, videos and logs (served by /latest/* and /logs)");

export type FilesConfig = z.output<ReturnType<typeof filesSection>>;
