import { ago, type DeviceSummary } from "./gather.ts";

/** ANSI colours, or none (piped, NO_COLOR set, TERM=dumb). */
export function palette(color: boolean) {
  const c = (code: string) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { ok: c("32"), bad: c("31"), warn: c("33"), bold: c("1"), dim: c("2") };
}

export function useColor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== "dumb";
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;

/** The one-screen text of `edgewatch status`: one labelled line per topic, problems marked. */
export function renderSummary(s: DeviceSummary, color: boolean): string {
  const p = palette(color);
  const mark = (healthy: boolean | null) =>
    healthy === null ? p.warn("??  ") : healthy ? p.ok("ok  ") : p.bad("FAIL");
  const out: string[] = [];
  const line = (label: string, text: string) => out.push(`${label.padEnd(10)}${text}`);
  const more = (text: string) => out.push(`${"".padEnd(10)}${text}`);

  const status = s.status ?? "unknown (no writer has reported a status)";
  out.push(p.bold(`${s.device.id} (${s.device.site}): ${s.status === "error" ? p.bad(status) : status}`));
  const photos = s.today.photos_captured;
  const expected = s.today.expected_photos;
  let today =
    photos === null
      ? "no photo count reported"
      : `${photos}${expected ? ` of ${expected}` : ""} photos${expected ? ` (${Math.round((photos / expected) * 100)}%)` : ""}`;
  if (s.last_capture.age_seconds !== null)
    today += `, last capture ${ago(s.last_capture.age_seconds)}${s.last_capture.filename ? ` (${s.last_capture.filename})` : ""}`;
  line("Today", today);
  line(
    "Agent",
    s.agent.running
      ? `${p.ok("running")} at ${s.agent.url}`
      : `${p.warn("not answering")} at ${s.agent.url}: shown from files; alerts as last saved`,
  );

  if (s.watches.length === 0) line("Watches", "none configured (recovery.watches)");
  s.watches.forEach((w, i) => {
    const text = `${mark(w.healthy)} ${w.name.padEnd(12)} ${w.detail}`;
    if (i === 0) line("Watches", text);
    else more(text);
  });
  line(
    "Sources",
    s.sources.length === 0
      ? "no writer has reported yet"
      : s.sources.map((x) => `${x.name} ${ago(x.heartbeat_age_seconds)}`).join(", "),
  );
  s.disks.forEach((d, i) => {
    const text =
      d.usage_percent === null
        ? `${d.mount} ${p.warn(`unknown (${d.error ?? "no data"})`)}`
        : `${d.mount} ${d.usage_percent >= 90 ? p.bad(`${d.usage_percent}%`) : d.usage_percent >= 80 ? p.warn(`${d.usage_percent}%`) : `${d.usage_percent}%`} used${d.free_bytes === null ? "" : `, ${gb(d.free_bytes)} free`}`;
    if (i === 0) line("Disk", text);
    else more(text);
  });
  const t = s.temperature_celsius;
  line("Temp", t === null ? "no sensor" : t >= 80 ? p.bad(`${t.toFixed(1)} °C`) : `${t.toFixed(1)} °C`);

  const firing = s.alerts.firing;
  if (s.alerts.from === "none") line("Alerts", "unknown (the agent is not running and has saved none)");
  else if (firing.length === 0)
    line("Alerts", `${p.ok("none firing")}${s.alerts.from === "saved state" ? " (as last saved)" : ""}`);
  firing.forEach((a, i) => {
    const text = `${a.severity === "critical" ? p.bad(a.severity.toUpperCase()) : p.warn(a.severity.toUpperCase())} ${a.summary}`;
    if (i === 0) line("Alerts", `${firing.length} firing${s.alerts.from === "saved state" ? " (as last saved)" : ""}`);
    more(text);
  });

  if (!s.agent.running) line("Errors", "only the running agent keeps them (see journalctl -u edgewatch-agent)");
  else if (s.errors.length === 0) line("Errors", p.ok("none in the last hour"));
  s.errors.forEach((e, i) => {
    const text = `${e.time.slice(11, 19)} ${e.source}: ${e.message}`;
    if (i === 0) line("Errors", text);
    else more(text);
  });

  const g = s.reboot_guard;
  line(
    "Reboots",
    `${g.reboots_last_24h} of ${g.limit} automatic reboots used in the last 24 h${g.problem ? `: ${p.bad(g.problem)}` : g.allowed ? "" : `: ${p.warn("further automatic reboots are refused")}`}`,
  );
  return `${out.join("\n")}\n`;
}
