/** The types of the files module's answers, for their clients (the web page imports them); no code here. */

/** One line of `GET /api/logs/recent`. */
export type RecentLogEntry = { file: string; level: string | null; text: string; truncated?: true };

/** `GET /api/logs/recent`: the configured log files' last lines, oldest first. */
export type RecentLogs = {
  type: "errors" | "camera" | "all";
  limit: number;
  count: number;
  entries: RecentLogEntry[];
  errors?: { file: string; error: string }[];
};
