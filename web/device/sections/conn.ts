// The connection state in the header, and the "connection lost, stale since …" banner.
import { $ } from "../../shared/dom.ts";
import { ago, stampText } from "../../shared/format.ts";
import type { LiveLink } from "../../shared/transport.ts";

export function renderConn(link: LiveLink, pollMs: number): void {
  const el = $("conn");
  const banner = $("stale-banner");
  const mode = link.shownMode;
  el.dataset.state = mode;
  el.textContent =
    mode === "live"
      ? "Live"
      : mode === "polling"
        ? `Polling every ${pollMs / 1000} s`
        : mode === "lost"
          ? "Connection lost"
          : "Connecting…";
  if (mode === "lost") {
    const since = link.lastContact
      ? `${stampText(link.lastContact)} (${ago(Date.now() - link.lastContact)})`
      : "page load";
    const text = `Connection lost: the device is not answering. Data is stale since ${since}. Retrying…`;
    if (banner.textContent !== text) banner.textContent = text;
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
}
