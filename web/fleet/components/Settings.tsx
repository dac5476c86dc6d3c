import { signal } from "@preact/signals";
import { useEffect, useRef, useState } from "preact/hooks";
import { auth, setToken } from "../api.ts";

export const settingsOpen = signal(false);

/** Paste a viewer or admin token; kept for this tab unless "remember" is ticked. */
export function Settings() {
  const ref = useRef<HTMLDialogElement>(null);
  const [token, setT] = useState("");
  const [remember, setRemember] = useState(auth.value.remembered);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    const close = () => (settingsOpen.value = false);
    d?.addEventListener("close", close);
    return () => d?.removeEventListener("close", close);
  }, []);
  const a = auth.value;
  const current = !a.token
    ? "This page has no token: it sees what the hub shows without one."
    : a.from === "share"
      ? "This tab uses a share link: it can look, not change."
      : a.admin
        ? `An admin token is in use${a.remembered ? ", remembered on this device" : " for this tab"}.`
        : `A viewer token is in use${a.remembered ? ", remembered on this device" : " for this tab"}.`;
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="settings-title">
      <form
        method="dialog"
        onSubmit={(e) => {
          const submitter = (e as SubmitEvent).submitter as HTMLButtonElement | null;
          if (submitter?.value === "save" && token.trim()) setToken(token.trim(), remember);
          if (submitter?.value === "forget") setToken(null, false);
        }}
      >
        <h2 id="settings-title">Access</h2>
        <p class="muted">{current}</p>
        <label for="token-input">Viewer or admin token</label>
        <input
          id="token-input"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={token}
          onInput={(e) => setT((e.target as HTMLInputElement).value)}
        />
        <label class="check">
          <input
            type="checkbox"
            checked={remember}
            onChange={(e) => setRemember((e.target as HTMLInputElement).checked)}
          />{" "}
          Remember on this device
        </label>
        <div class="actions">
          <button type="submit" value="save" class="primary">
            Use this token
          </button>
          {a.token && (
            <button type="submit" value="forget">
              Forget the token
            </button>
          )}
          <button type="submit" value="close">
            Close
          </button>
        </div>
      </form>
    </dialog>
  );
}
