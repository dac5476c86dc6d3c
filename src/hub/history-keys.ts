/**
 * Sample keys the fleet page's detail view charts from GET /api/v1/devices/<id>/history. The
 * first three are the agent's own samples (collector name + field); `disk` and `upload` are added
 * by the hub at ingest from the pushed status document (see src/hub/summary.ts).
 */
export const HISTORY_KEYS = {
  cpu: "system.cpu_usage_ratio",
  memory: "system.memory_usage_ratio",
  disk: "summary.disk_used_ratio",
  temperature: "thermal.cpu_temperature_celsius",
  upload: "summary.upload_success_ratio",
} as const;
