// Control: the recovery buttons, the token dialog and the confirmation dialog.
import { $, isObj } from "../../shared/dom.ts";
import type { DeviceControl } from "../state.ts";

export const TOKEN_KEY = "edgewatch.token";

function askToken(): Promise<string | null> {
  const dlg = $<HTMLDialogElement>("token-dialog");
  const input = $<HTMLInputElement>("token-input");
  input.value = "";
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok" ? input.value.trim() : null), { once: true });
    dlg.returnValue = "";
    dlg.showModal();
    input.focus();
  });
}

function confirmAction(text: string): Promise<boolean> {
  const dlg = $<HTMLDialogElement>("confirm-dialog");
  $("confirm-text").textContent = text;
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok"), { once: true });
    dlg.returnValue = "";
    dlg.showModal();
  });
}

export function showResult(text: string, t: string): void {
  const el = $("control-result");
  el.textContent = text;
  el.dataset.tone = t;
}

const CONTROL_KEYS: Record<string, string> = {
  "/api/camera/test": "camera_test",
  "/api/camera/recover": "camera_recover",
  "/api/system/restart-services": "restart_services",
  "/api/system/reboot": "reboot",
};

/** Buttons that cannot work look unavailable (aria-disabled, still focusable) and say why. */
export function renderControls(c: DeviceControl | null, recoveryAvailable: boolean): void {
  const missing: string[] = [];
  let global: string | null = null;
  if (!recoveryAvailable) global = "recovery is turned off on this device (recovery.enabled: false)";
  else if (c && !c.token) global = "no control token is set on this device (http.token in its config)";
  for (const btn of document.querySelectorAll<HTMLButtonElement>("button[data-action]")) {
    const key = CONTROL_KEYS[btn.dataset.action ?? ""] ?? "";
    const why = global ?? (c && c.actions[key] === false ? `not configured (recovery.${key})` : null);
    if (why) {
      btn.setAttribute("aria-disabled", "true");
      btn.setAttribute("aria-describedby", "control-note");
      btn.dataset.why = why;
      btn.title = `Unavailable: ${why}`;
      if (!global) missing.push(`${btn.textContent} (recovery.${key})`);
    } else {
      btn.removeAttribute("aria-disabled");
      btn.removeAttribute("aria-describedby");
      delete btn.dataset.why;
      btn.removeAttribute("title");
    }
  }
  $("control-note").textContent = global
    ? `Control is off: ${global}.`
    : missing.length
      ? `Not configured on this device: ${missing.join(", ")}.`
      : "";
}

export async function control(btn: HTMLButtonElement): Promise<void> {
  const path = btn.dataset.action ?? "";
  const label = btn.textContent ?? path;
  if (btn.getAttribute("aria-disabled") === "true") {
    showResult(`${label}: unavailable, ${btn.dataset.why ?? "not configured"}`, "info");
    return;
  }
  if (btn.dataset.confirm && !(await confirmAction(btn.dataset.confirm))) {
    showResult(`${label}: cancelled`, "info");
    return;
  }
  let token = sessionStorage.getItem(TOKEN_KEY);
  if (token === null) {
    token = await askToken();
    if (token === null) {
      showResult(`${label}: cancelled (a control token is needed)`, "info");
      return;
    }
  }
  btn.disabled = true;
  showResult(`${label}: sending…`, "info");
  try {
    const res = await fetch(path, {
      method: "POST",
      headers: { Accept: "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    });
    let body: unknown = null;
    try {
      body = await res.json();
    } catch {
      /* not JSON */
    }
    const msg = isObj(body) ? String(body.error ?? body.message ?? body.result ?? body.status ?? "") : "";
    if (res.ok) {
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      $("forget-token").hidden = false;
      const steps = isObj(body) && Array.isArray(body.steps) ? body.steps.filter(isObj) : [];
      const out = steps
        .map((st) => String(st.output ?? "").trim())
        .filter(Boolean)
        .join(" / ")
        .slice(-300);
      showResult(`${label}: done${msg ? ` (${msg})` : ""}${out ? `: ${out}` : ""}`, "ok");
    } else {
      if (res.status === 401) {
        sessionStorage.removeItem(TOKEN_KEY);
        $("forget-token").hidden = true;
      }
      const retry = res.headers.get("Retry-After");
      const why =
        res.status === 401
          ? "refused, token missing or wrong"
          : res.status === 403
            ? "refused, control is disabled on this device"
            : res.status === 429
              ? `refused, too many attempts${retry ? `; retry in ${retry} s` : ""}`
              : `failed (HTTP ${res.status})`;
      showResult(`${label}: ${why}${msg ? `: ${msg}` : ""}`, "bad");
    }
  } catch (err) {
    showResult(`${label}: the device did not answer (${(err as Error).message})`, "bad");
  } finally {
    btn.disabled = false;
  }
}
