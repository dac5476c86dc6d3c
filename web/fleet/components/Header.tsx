import { auth } from "../api.ts";
import { clock } from "../format.ts";
import { link, now, route } from "../state.ts";
import { settingsOpen } from "./Settings.tsx";

/** Who the page is acting as, in words. */
function role(): string {
  const a = auth.value;
  if (!a.token) return "no token";
  if (a.admin === true) return "admin";
  if (a.from === "share") return "shared view";
  return a.admin === false ? "viewer" : "checking…";
}

function LinkState() {
  const l = link.value;
  const text =
    l.state === "live"
      ? "Live"
      : l.state === "connecting"
        ? "Connecting…"
        : l.state === "refused"
          ? "No access"
          : "Offline";
  return (
    <p class="conn" data-state={l.state} role="status">
      {text}
    </p>
  );
}

/** Shown when the page's picture of the fleet may be out of date. */
export function StaleBanner() {
  const l = link.value;
  const t = now.value;
  const quiet = l.lastByte !== null && t - l.lastByte > 35_000;
  if (l.state === "refused") {
    return (
      <div class="banner bad" role="alert">
        <p>
          {l.why === "This hub needs a token to be read" ? `${l.why}.` : `The hub refused this page: ${l.why}.`}{" "}
          <button type="button" class="linkish" onClick={() => (settingsOpen.value = true)}>
            Enter a token
          </button>
        </p>
      </div>
    );
  }
  if (l.state !== "lost" && !quiet) return null;
  return (
    <div class="banner warn" role="alert" data-testid="stale">
      <p>
        <strong>Stale:</strong> {l.lastUpdate ? `last update at ${clock(l.lastUpdate)}` : "no data from the hub yet"}
        {l.why ? ` (${l.why}); reconnecting…` : "; reconnecting…"}
      </p>
    </div>
  );
}

export function Header() {
  const r = route.value.view;
  const admin = auth.value.admin === true;
  const link = (href: string, label: string, active: boolean) => (
    <a href={href} aria-current={active ? "page" : undefined}>
      {label}
    </a>
  );
  return (
    <header class="top">
      <div class="top-row">
        <p class="brand">
          <a href="#/">edgewatch fleet</a>
        </p>
        <LinkState />
        <button type="button" class="settings-btn" onClick={() => (settingsOpen.value = true)} aria-haspopup="dialog">
          <span aria-hidden="true">⚙</span> <span class="visually-hidden">Access: </span>
          {role()}
        </button>
      </div>
      <nav aria-label="Views">
        {link("#/", "Devices", r === "fleet" || r === "device")}
        {link("#/silences", "Silences", r === "silences")}
        {admin && link("#/sharing", "Sharing", r === "sharing")}
      </nav>
      <StaleBanner />
    </header>
  );
}
