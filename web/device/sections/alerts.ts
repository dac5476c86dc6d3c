// Alerts: firing ones, and the ones resolved within the hour.

import type { AlertState } from "../../shared/api.ts";
import { $, h, setEmpty, stamp } from "../../shared/dom.ts";
import { parseTime } from "../../shared/format.ts";

const SEV_TONE: Record<string, string> = { critical: "bad", warning: "warn", info: "info" };
export function renderAlerts(alerts: Iterable<AlertState>): void {
  const list = [...alerts]
    .filter((a) => a.state !== "resolved" || Date.now() - parseTime(a.since) < 3600_000)
    .sort((a, b) => parseTime(b.since) - parseTime(a.since));
  const ul = $("alerts");
  setEmpty("alerts", !list.length);
  if (!list.length) {
    ul.replaceChildren(h("li", { class: "muted" }, "No alerts"));
    return;
  }
  ul.replaceChildren(
    ...list
      .slice(0, 20)
      .map((a) =>
        h(
          "li",
          { "data-tone": a.state === "resolved" ? "ok" : (SEV_TONE[a.severity ?? ""] ?? "info"), "data-alert": a.id },
          h("strong", {}, `${a.severity ?? "alert"} · ${a.state ?? ""}`),
          " ",
          a.summary ?? a.rule ?? a.id,
          h("span", { class: "when" }, "since ", stamp(a.since)),
        ),
      ),
  );
}
