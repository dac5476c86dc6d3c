// Processes and watches: recovery watches, writers' heartbeats, collectors.
import type { CollectorResultFrame } from "../../shared/api.ts";
import { $, h, isObj, numOf, type Obj, setEmpty } from "../../shared/dom.ts";
import { ago, parseTime } from "../../shared/format.ts";

/** Recovery watches (GET /api/recovery), the writers' heartbeats (the document's `sources`), the collectors. */
export function renderProcesses(
  watches: Obj[],
  doc: Obj,
  collectors: Iterable<CollectorResultFrame>,
  skewMs: number,
): void {
  const items: HTMLElement[] = [];
  const now = Date.now() - skewMs;
  for (const w of watches) {
    const age = numOf(w.heartbeat_age_ms);
    const healthy = w.healthy !== false;
    items.push(
      h(
        "li",
        { "data-tone": healthy ? "ok" : "bad" },
        `watch ${w.name ?? "?"}: ${healthy ? "healthy" : `failing${w.reason ? ` (${w.reason})` : ""}`}`,
        h(
          "span",
          { class: "when" },
          [age === undefined ? "no heartbeat yet" : `heartbeat ${ago(age)}`, w.next_step ? `next: ${w.next_step}` : ""]
            .filter(Boolean)
            .join(" · "),
        ),
      ),
    );
  }
  const sources = doc.sources;
  if (isObj(sources)) {
    for (const [name, v] of Object.entries(sources)) {
      const beat = isObj(v) ? parseTime(v.heartbeat_at) : Number.NaN;
      items.push(
        h(
          "li",
          {},
          `writer ${name}`,
          h("span", { class: "when" }, Number.isNaN(beat) ? "" : `last wrote ${ago(now - beat)}`),
        ),
      );
    }
  }
  for (const c of collectors) {
    items.push(
      h(
        "li",
        { "data-tone": c.ok ? "ok" : "bad" },
        `collector ${c.collector}: ${c.ok ? "ok" : `failing${c.error ? ` (${c.error})` : ""}`}`,
        h("span", { class: "when" }, `ran ${ago(now - c.at)}`),
      ),
    );
  }
  setEmpty("processes", !items.length);
  if (items.length) $("processes").replaceChildren(...items);
}
