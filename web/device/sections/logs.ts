// Recent logs: live device events first, then the configured log files' last lines.
import { $, h, setEmpty, stamp } from "../../shared/dom.ts";
import type { LogRow } from "../state.ts";

const LEVEL_TONE: Record<string, string> = { error: "bad", critical: "bad", warning: "warn" };
/** Newest first: live device events, then the log files' lines. */
export function renderLogs(all: LogRow[]): void {
  const rows = all.slice(0, 100);
  const ul = $("logs");
  setEmpty("logs", !rows.length);
  if (!rows.length) {
    ul.replaceChildren(h("li", { class: "muted" }, "No log lines"));
    return;
  }
  ul.replaceChildren(
    ...rows.map((r) =>
      h("li", { "data-tone": LEVEL_TONE[r.level] }, h("span", { class: "when" }, stamp(r.time), ` ${r.level}`), r.text),
    ),
  );
}
