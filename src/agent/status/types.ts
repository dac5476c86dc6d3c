/** The types of the status module's answers, for their clients (the web page imports them); no code here. */

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
