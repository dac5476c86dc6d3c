import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { CommandAction, CommandView } from "./api-types.ts";
import { actorOf } from "./auth.ts";
import type { HubContext } from "./context.ts";
import { parse } from "./manage.ts";
import { HttpError, type Route, sendJson } from "./shared.ts";
import type { CommandRow } from "./store/fleet.ts";

export const ACTIONS: readonly CommandAction[] = ["test_camera", "restart_service", "reboot"];
/** A command the device has not picked up by then fails instead of running long after it was asked for. */
export const COMMAND_TTL_MS = 15 * 60_000;
const MAX_OUTPUT = 4096;

const commandBody = z.strictObject({
  action: z.string().min(1).max(64),
  args: z.record(z.string(), z.unknown()).default({}),
});

export const resultsBody = z
  .array(
    z.strictObject({
      id: z.string().min(1).max(64),
      ok: z.boolean(),
      output: z
        .string()
        .max(64 * 1024)
        .default(""),
    }),
  )
  .max(100);

export const commandView = (c: CommandRow): CommandView => ({
  id: c.id,
  device: c.device,
  action: c.action as CommandAction,
  args: c.args,
  state: c.state,
  created_at: new Date(c.created_at).toISOString(),
  sent_at: c.sent_at === null ? null : new Date(c.sent_at).toISOString(),
  finished_at: c.finished_at === null ? null : new Date(c.finished_at).toISOString(),
  output: c.output,
  by: c.by,
});

type Write = (method: "POST" | "DELETE", path: string, fn: Route["handle"], prefix?: boolean) => Route;

/** POST /api/v1/devices/<id>/commands (admin): queue one command for the device's next push. */
export function commandRoutes(k: HubContext, write: Write): Route[] {
  return [
    write(
      "POST",
      "/api/v1/devices/",
      async (req, res, url, body) => {
        const m = /^\/api\/v1\/devices\/([^/]+)\/commands$/.exec(url.pathname);
        if (!m) throw new HttpError(404, `no such path: ${url.pathname.slice(0, 200)}`);
        const id = decodeURIComponent(m[1] as string);
        if (!k.liveness.devices.has(id)) throw new HttpError(404, `no device ${JSON.stringify(id)} is enrolled`);
        const cmd = parse(commandBody, body, "command");
        if (!ACTIONS.includes(cmd.action as CommandAction))
          throw new HttpError(
            400,
            `command: action: expected one of ${ACTIONS.join(", ")}, got ${JSON.stringify(cmd.action)}`,
          );
        if (cmd.action === "reboot" && cmd.args.confirm !== true)
          throw new HttpError(400, 'command: reboot needs "args": {"confirm": true}');
        if (cmd.action === "restart_service" && (typeof cmd.args.unit !== "string" || !cmd.args.unit))
          throw new HttpError(
            400,
            'command: restart_service needs "args": {"unit": "<a unit the device\'s config names>"}',
          );
        const row: CommandRow = {
          id: randomUUID(),
          device: id,
          action: cmd.action,
          args: cmd.args,
          state: "queued",
          created_at: Date.now(),
          sent_at: null,
          finished_at: null,
          output: null,
          by: actorOf(req),
        };
        await k.store.fleet.putCommand(row);
        sendJson(res, 202, commandView(row));
      },
      true,
    ),
  ];
}

/** The queued commands for a device's push answer (oldest first), now marked sent; stale ones fail. */
export async function takeCommands(k: HubContext, device: string, now: number) {
  const look = k.store.fleet.mayHaveOpen(device);
  if (!look.open) return [];
  let waiting = 0;
  // A command handed out long ago whose result never came (an answer lost on the way, a reboot that
  // cut it short) is closed as failed rather than left "sent" for ever.
  for (const c of await k.store.fleet.commands(device, { state: "sent", limit: 20 })) {
    if (now - (c.sent_at ?? c.created_at) <= COMMAND_TTL_MS) {
      waiting++;
      continue;
    }
    const output = `no result from the device within ${COMMAND_TTL_MS / 60_000} minutes of sending it${c.action === "reboot" ? " (a reboot may have cut it short)" : ""}`;
    await k.store.fleet.putCommand({ ...c, state: "failed", finished_at: now, output });
    await k.audit.write(`device:${device}`, "command.unanswered", device, { id: c.id, action: c.action });
  }
  const queued = (await k.store.fleet.commands(device, { state: "queued", limit: 20 })).reverse();
  const out: { id: string; action: string; args: Record<string, unknown> }[] = [];
  for (const c of queued) {
    if (now - c.created_at > COMMAND_TTL_MS) {
      const output = `expired: the device did not push within ${COMMAND_TTL_MS / 60_000} minutes of the request`;
      await k.store.fleet.putCommand({ ...c, state: "failed", finished_at: now, output });
      await k.audit.write(`device:${device}`, "command.expired", device, { id: c.id, action: c.action });
      continue;
    }
    await k.store.fleet.putCommand({ ...c, state: "sent", sent_at: now });
    out.push({ id: c.id, action: c.action, args: c.args });
  }
  if (waiting === 0 && out.length === 0) k.store.fleet.settled(device, look.generation);
  return out;
}

/** The results a device reported in its push: each command done or failed, and one audit line. */
export async function commandResults(
  k: HubContext,
  device: string,
  results: z.output<typeof resultsBody>,
  now: number,
): Promise<void> {
  for (const r of results) {
    const c = await k.store.fleet.getCommand(r.id);
    if (!c || c.device !== device || c.state === "done" || c.state === "failed") continue;
    const output = r.output.slice(0, MAX_OUTPUT);
    await k.store.fleet.putCommand({ ...c, state: r.ok ? "done" : "failed", finished_at: now, output });
    await k.audit.write(`device:${device}`, "command.result", device, {
      id: c.id,
      action: c.action,
      args: c.args,
      ok: r.ok,
      output,
    });
  }
}
