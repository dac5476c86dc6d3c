/** Types the agent's answers share with their clients (the web page imports them); no code here. */

/** A warning and a critical level, in the unit of the value they apply to. */
export type Band = { warning: number; critical: number };

/**
 * The alert thresholds in force for the resource gauges (`alerts.rules.<name>.warning/critical`,
 * with each rule's default filled in), so a client colours a gauge as the rules judge it.
 */
export type GaugeThresholds = {
  /** CPU usage, %. */
  cpu: Band;
  /** Memory usage, %. */
  memory: Band;
  /** Disk usage, % (per mount). */
  disk: Band;
  /** CPU/SoC temperature, °C. */
  temperature: Band;
};

/** `GET /config`: the effective config (secrets redacted), where it came from, and the gauge thresholds. */
export type ConfigAnswer = {
  path: string | null;
  overrides: string[];
  config: Record<string, unknown>;
  thresholds: GaugeThresholds;
};

/** `GET /api/metrics/history`: samples of every numeric collector value, flattened ("system.cpu_usage_ratio"). */
export type HistoryView = {
  hours: number;
  count: number;
  max_samples: number;
  samples: ({ timestamp: string } & Record<string, number | string>)[];
};

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
