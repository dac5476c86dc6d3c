import { execFile } from "node:child_process";

/**
 * sd_notify without a native addon: Node core cannot send a unix datagram, so each message is
 * sent by spawning `systemd-notify` (the unit sets NotifyAccess=all, since the sender is then
 * that short-lived process). READY=1 once; WATCHDOG=1 every WatchdogSec/2 (from $WATCHDOG_USEC),
 * but only while `alive()` says the agent's own loops are working — a hung agent stops pinging
 * and systemd restarts it.
 */
export class SdNotify {
  private timer: NodeJS.Timeout | null = null;
  readonly socket: string | undefined;
  readonly watchdogMs: number | null;
  sent = 0;
  lastError: string | null = null;

  constructor(
    private readonly alive: () => boolean,
    env: NodeJS.ProcessEnv = process.env,
    private readonly bin = "systemd-notify",
  ) {
    this.socket = env.NOTIFY_SOCKET || undefined;
    const usec = Number(env.WATCHDOG_USEC);
    const pidOk = !env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === process.pid;
    this.watchdogMs = this.socket && pidOk && Number.isFinite(usec) && usec > 0 ? usec / 1000 : null;
  }

  get enabled(): boolean {
    return this.socket !== undefined;
  }

  start(): void {
    if (!this.socket) return;
    this.send(["--ready", `--pid=${process.pid}`, "STATUS=edgewatch agent running"]);
    if (this.watchdogMs) {
      this.timer = setInterval(() => {
        if (this.alive()) this.send(["WATCHDOG=1"]);
      }, this.watchdogMs / 2);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.socket) this.send(["STOPPING=1"]);
  }

  private send(args: string[]): void {
    execFile(this.bin, args, { env: { ...process.env, NOTIFY_SOCKET: this.socket }, timeout: 5000 }, (err) => {
      if (err) this.lastError = `${this.bin} ${args.join(" ")}: ${err.message}`;
      else this.sent++;
    });
  }
}
