import { useEffect, useRef, useState } from "preact/hooks";
import { api, auth } from "../api.ts";
import { settingsOpen } from "../components/Settings.tsx";
import { clock } from "../format.ts";
import { useApi } from "../hooks.ts";
import type { CommandAction, CommandView, FleetDevice } from "../types.ts";

const LABEL: Record<CommandAction, string> = {
  test_camera: "Test camera",
  restart_service: "Restart service",
  reboot: "Reboot",
};

/** Test camera, restart a service, reboot: queued at the hub, run by the agent on its next push. */
export function Controls({ d }: { d: FleetDevice }) {
  const enc = encodeURIComponent(d.id);
  const admin = auth.value.admin === true;
  const [service, setService] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirmRef = useRef<HTMLDialogElement>(null);
  // While a command is on its way (queued, sent), its state is asked for every 2 s.
  const [poll, setPoll] = useState(false);
  const list = useApi<CommandView[]>(`/api/v1/devices/${enc}/commands`, [], poll ? 2000 : undefined);
  const commands = list.data ?? [];
  const pending = commands.some((c) => c.state === "queued" || c.state === "sent");
  useEffect(() => setPoll(pending), [pending]);

  const send = async (action: CommandAction, args: Record<string, unknown> = {}) => {
    setBusy(true);
    setError(null);
    try {
      await api<CommandView>(`/api/v1/devices/${enc}/commands`, { method: "POST", body: { action, args } });
      list.reload();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const why = admin ? null : "Needs the admin token.";
  return (
    <section aria-labelledby="h-control" class="panel">
      <h2 id="h-control">Control</h2>
      {why && (
        <p id="control-why" class="muted">
          {why}{" "}
          <button type="button" class="linkish" onClick={() => (settingsOpen.value = true)}>
            Enter it in the access settings
          </button>
        </p>
      )}
      <div class="control-row">
        <button
          type="button"
          disabled={!admin || busy}
          aria-describedby={why ? "control-why" : undefined}
          onClick={() => send("test_camera")}
        >
          {LABEL.test_camera}
        </button>
      </div>
      <form
        class="control-row"
        onSubmit={(e) => {
          e.preventDefault();
          if (service.trim()) void send("restart_service", { unit: service.trim() });
        }}
      >
        <label for="svc">Service</label>
        <input
          id="svc"
          value={service}
          placeholder="e.g. timelapse"
          disabled={!admin}
          onInput={(e) => setService((e.target as HTMLInputElement).value)}
        />
        <button
          type="submit"
          disabled={!admin || busy || !service.trim()}
          aria-describedby={why ? "control-why" : undefined}
        >
          {LABEL.restart_service}
        </button>
      </form>
      <div class="control-row">
        <button
          type="button"
          class="danger"
          disabled={!admin || busy}
          aria-describedby={why ? "control-why" : undefined}
          onClick={() => confirmRef.current?.showModal()}
        >
          {LABEL.reboot}…
        </button>
      </div>
      <dialog ref={confirmRef} class="dialog" aria-labelledby="reboot-title">
        <form
          method="dialog"
          onSubmit={(e) => {
            if (((e as SubmitEvent).submitter as HTMLButtonElement | null)?.value === "reboot")
              void send("reboot", { confirm: true });
          }}
        >
          <h2 id="reboot-title">Reboot {d.id}?</h2>
          <p>The device stops capturing while it restarts. It reboots on its next push to the hub.</p>
          <div class="actions">
            <button type="submit" value="cancel">
              Cancel
            </button>
            <button type="submit" value="reboot" class="danger">
              Reboot {d.id}
            </button>
          </div>
        </form>
      </dialog>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {commands.length > 0 && (
        <>
          <h3>Commands</h3>
          <ul class="rows" aria-live="polite">
            {commands.slice(0, 10).map((c) => (
              <li key={c.id} data-command={c.action}>
                <span class="pill" data-tone={c.state === "done" ? "up" : c.state === "failed" ? "down" : "late"}>
                  {c.state}
                </span>{" "}
                {LABEL[c.action] ?? c.action}
                {typeof c.args.unit === "string" ? ` ${c.args.unit}` : ""}{" "}
                <span class="muted">
                  {clock(c.created_at)} by {c.by}
                </span>
                {c.output && <pre class="output">{c.output}</pre>}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
