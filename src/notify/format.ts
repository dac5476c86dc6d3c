import type { Notification } from "./types.ts";

/** The plain-text rendering every chat channel sends (then fits to its own limits). */
export function renderText(n: Notification): string {
  const head = `[${n.device_id}${n.site && n.site !== "default" ? ` @ ${n.site}` : ""}]`;
  // A message that already starts with its title (daily summary, alerts) is not repeated under it.
  const lines = n.message.startsWith(n.title) ? [`${head} ${n.message}`] : [`${head} ${n.title}`, n.message];
  if (n.summary_of) {
    for (const it of n.summary_of.items)
      lines.push(`• ${it.timestamp.slice(0, 19).replace("T", " ")} ${it.level}: ${it.title}`);
  }
  if (n.dropped_before)
    lines.push(
      `(${n.dropped_before} older notification${n.dropped_before === 1 ? " was" : "s were"} dropped: outbox full)`,
    );
  if (n.redelivery) lines.push("(sent again after the agent restarted mid-send: you may have had this one already)");
  return lines.join("\n");
}
