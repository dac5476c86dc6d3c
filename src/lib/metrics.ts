/** One sample of a Prometheus metric family. */
export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

/** One Prometheus metric family; the HTTP layer adds the device/site labels and renders it. */
export interface MetricFamily {
  name: string;
  help: string;
  type: "gauge" | "counter";
  unit?: string;
  samples: Sample[];
}
