import { execFile } from "node:child_process";

export interface SdNotifyStatus {
  enabled: boolean;
  watchdog_ms: number | null;
  sent: number;
  error: string | null;
}

/**
 * sd_notify without a native addon: Node core cannot send a unix datagram, so each message is
 * sent by spawning `systemd-notify` (the unit sets NotifyAccess=all, since the sender is then
 * that short-lived process). READY=1 once; WATCHDOG=1 every WatchdogSec/2 (from $WATCHDOG_USEC),
 * but only while `alive()` says the process's own loops are working — a hung process stops
 * pinging and systemd restarts it. Messages are sent one after the other, in call order:
 * RELOADING=1 must reach systemd before the READY=1 that ends the reload.
 */
export class SdNotify {
  private timer: NodeJS.Timeout | null = null;
  private queue: Promise<void> = Promise.resolve();
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

  /** READY=1 with our pid, then the watchdog pings; `settled()` resolves once it is sent. */
  start(status = "running"): void {
    if (!this.socket) return;
    void this.send(["--ready", `--pid=${process.pid}`, `STATUS=${status}`]);
    if (this.watchdogMs && !this.timer) {
      this.timer = setInterval(() => {
        if (this.alive()) void this.send(["WATCHDOG=1"]);
      }, this.watchdogMs / 2);
    }
  }

  /** Resolves once every message asked for so far has been sent (or has failed). */
  settled(): Promise<void> {
    return this.queue;
  }

  /** RELOADING=1 (with the monotonic time systemd ≥ 253 asks for); end the reload with ready(). */
  reloading(): Promise<void> {
    return this.send(["RELOADING=1", `MONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`, "STATUS=reloading"]);
  }

  ready(status = "running"): Promise<void> {
    return this.send(["--ready", `STATUS=${status}`]);
  }

  /** STOPPING=1: only when the process is really about to exit; `settled()` resolves once it is sent. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    void this.send(["STOPPING=1"]);
  }

  status(): SdNotifyStatus {
    return { enabled: this.enabled, watchdog_ms: this.watchdogMs, sent: this.sent, error: this.lastError };
  }

  private send(args: string[]): Promise<void> {
    if (!this.socket) return this.queue;
    const env = { ...process.env, NOTIFY_SOCKET: this.socket };
    this.queue = this.queue.then(
      () =>
        new Promise<void>((resolve) => {
          execFile(this.bin, args, { env, timeout: 5000 }, (err) => {
            if (err) this.lastError = `${this.bin} ${args.join(" ")}: ${err.message}`;
            else this.sent++;
            resolve();
          });
        }),
    );
    return this.queue;
  }
}
