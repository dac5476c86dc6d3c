import { z } from "zod";
import { exportTypes } from "./index.ts";

/** A list of export instances must not repeat a name (it names the queue folder and the metrics). */
function uniqueNames(type: string) {
  return (list: { name?: string | undefined; url: string }[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    list.forEach((c, i) => {
      let name = c.name;
      if (!name) {
        try {
          name = new URL(c.url).host;
        } catch {
          return;
        }
      }
      if (seen.has(name))
        ctx.addIssue({
          code: "custom",
          path: [i, "name"],
          message: `expected a unique ${type} name, got ${JSON.stringify(name)} twice (set name: on one of them)`,
        });
      seen.add(name);
    });
  };
}

function shape(): Record<string, z.ZodType> {
  const out: Record<string, z.ZodType> = {};
  for (const t of exportTypes) {
    const schema = t.schema();
    out[t.type] = t.list
      ? z
          .array(schema as z.ZodType<{ name?: string; url: string }>)
          .default([])
          .superRefine(uniqueNames(t.type))
          .describe(schema.description ?? t.type)
      : schema.optional();
  }
  return out;
}

/** `exports:` — Pushes to remote_write, Loki, Alertmanager and Home Assistant over MQTT. */
export const exportsSection = () =>
  z
    .strictObject(shape())
    .prefault({})
    .describe(
      "Push the device's metrics, logs, alerts and state to Prometheus-compatible stores, Loki, Alertmanager and Home Assistant",
    );
