import type { AgentContext, RemoteCommand, RemoteResult } from "../module.ts";

export interface CommandResult {
  id: string;
  ok: boolean;
  output: string;
}

const MAX_SEEN = 500;
const MAX_OUTPUT = 4000;

/**
 * Commands the hub relayed in a push answer: run one at a time by the module that owns the action
 * (the recovery module: camera test, restart of a unit the config names, guarded reboot), each result
 * reported in the next push. With `hub.commands: false` every command is refused — and still
 * audited by its owner — without running.
 */
export class CommandRunner {
  readonly results: CommandResult[] = [];
  private readonly seen = new Set<string>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: AgentContext,
    private readonly enabled: boolean,
  ) {}

  take(list: unknown): void {
    if (!Array.isArray(list)) return;
    for (const raw of list) {
      const c = raw as Partial<RemoteCommand>;
      if (typeof c?.id !== "string" || typeof c.action !== "string" || this.seen.has(c.id)) continue;
      this.seen.add(c.id);
      if (this.seen.size > MAX_SEEN) this.seen.delete(this.seen.values().next().value as string);
      const cmd: RemoteCommand = {
        id: c.id,
        action: c.action,
        args: c.args && typeof c.args === "object" ? (c.args as Record<string, unknown>) : {},
        ...(this.enabled ? {} : { refuse: "remote commands are turned off on this device (hub.commands: false)" }),
      };
      this.chain = this.chain.then(() => this.run(cmd));
    }
  }

  /** Resolves when every command taken so far has finished. */
  settled(): Promise<void> {
    return this.chain;
  }

  private async run(c: RemoteCommand): Promise<void> {
    this.ctx.log.info("hub: command received", { id: c.id, action: c.action, args: c.args });
    let r: RemoteResult | null = null;
    try {
      for (const m of this.ctx.modules?.() ?? []) {
        const p = m.command?.(c);
        if (p) {
          r = await p;
          break;
        }
      }
      r ??= { ok: false, output: `no part of this agent runs ${JSON.stringify(c.action)} (is recovery enabled?)` };
    } catch (err) {
      r = { ok: false, output: `failed: ${(err as Error).message}` };
    }
    this.ctx.log[r.ok ? "info" : "warn"]("hub: command finished", { id: c.id, action: c.action, ok: r.ok });
    this.results.push({ id: c.id, ok: r.ok, output: r.output.slice(-MAX_OUTPUT) });
    if (this.results.length > 100) this.results.shift();
  }
}
