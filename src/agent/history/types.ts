/** The type of the history module's answer, for its clients (the web page imports it); no code here. */

/** `GET /api/metrics/history`: samples of every numeric collector value, flattened ("system.cpu_usage_ratio"). */
export type HistoryView = {
  hours: number;
  count: number;
  max_samples: number;
  samples: ({ timestamp: string } & Record<string, number | string>)[];
};
