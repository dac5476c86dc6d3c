import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readSync, watch } from "node:fs";

const SETPRIV = "/usr/bin/setpriv";

export interface AgentChild {
  readonly id: string;
  readonly pid: number;
  /** The agent's own HTTP API and dashboard. */
  readonly url: string;
  readonly running: boolean;
  /** Resolves once the agent listens; rejects (the process killed) when it exits or hangs first. */
  readonly ready: Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** Synchronous last resort (process exit): SIGKILL when still running. */
  kill(): void;
}

export interface AgentHooks {
  /** One JSON log line of the agent (stderr), parsed. */
  onLog(line: { level?: string; msg?: string; [k: string]: unknown }): void;
  /** The process ended; `expected` is false unless stop() asked for it. */
  onExit(code: number | null, signal: NodeJS.Signals | null, tail: string): void;
}

/**
 * Starts `edgewatch agent --config FILE --port 0` as a child process (in this process's process
 * group, so a Ctrl-C at the terminal reaches it too; stopped by the kernel when this process dies). `command` is how
 * this edgewatch was started (node, its flags, its entry file), so the agent is the same build.
 */
export function spawnAgent(
  id: string,
  command: string[],
  config: string,
  logFile: string,
  hooks: AgentHooks,
): AgentChild {
  const env = { ...process.env, EDGEWATCH_CONFIG: "", EDGEWATCH_DIR: "" };
  const argv = [...command, "agent", "--config", config, "--port", "0", "--bind", "127.0.0.1"];
  // setpriv (util-linux) sets the parent-death signal, then becomes the agent: should the demo be
  // killed outright (SIGKILL, no exit handler runs), the kernel still sends its agents SIGTERM.
  if (existsSync(SETPRIV)) argv.unshift(SETPRIV, "--pdeathsig", "SIGTERM", "--");
  // The agent writes to a file, not a pipe: a pipe would break with the demo, and every later log
  // line of the agent fail with EPIPE. The demo follows the file (inotify).
  const fd = openSync(logFile, "a", 0o600);
  const child: ChildProcess = spawn(argv[0] as string, argv.slice(1), { env, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  let tail = "";
  let stopping = false;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const onLine = (line: string) => {
    tail = `${tail}${line}\n`.slice(-2000);
    const m = /^edgewatch agent: listening on (http:\/\/\S+)/.exec(line);
    if (m && !url) {
      url = m[1] as string;
      clearTimeout(slow);
      ready();
      return;
    }
    if (!line.startsWith("{")) return hooks.onLog({ level: "info", msg: line });
    try {
      hooks.onLog(JSON.parse(line) as { level?: string; msg?: string });
    } catch {
      hooks.onLog({ level: "info", msg: line });
    }
  };
  let url = "";
  let ready!: () => void;
  let failed!: (err: Error) => void;
  const readyP = new Promise<void>((res, rej) => {
    ready = res;
    failed = rej;
  });
  readyP.catch(() => {}); // the caller awaits it; an early exit is also reported there
  const slow = setTimeout(() => {
    failed(new Error(`the agent of ${id} did not start listening within 60 s:\n${tail.trim()}`));
    child.kill("SIGKILL");
  }, 60_000);
  const follower = follow(logFile, onLine);
  child.once("error", (err) => {
    clearTimeout(slow);
    failed(new Error(`cannot start the agent of ${id}: ${err.message}`));
  });
  child.once("exit", (code, signal) => {
    clearTimeout(slow);
    follower.close(); // (reads what is left first)
    if (!url) failed(new Error(`the agent of ${id} exited before listening (${code ?? signal}):\n${tail.trim()}`));
    else if (!stopping) hooks.onExit(code, signal, tail);
  });
  const handle: AgentChild = {
    id,
    pid: child.pid as number,
    ready: readyP,
    get url() {
      return url;
    },
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    async stop(graceMs = 10_000) {
      stopping = true;
      clearTimeout(slow);
      if (!handle.running) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
    kill() {
      stopping = true;
      clearTimeout(slow);
      if (handle.running) child.kill("SIGKILL");
    },
  };
  return handle;
}

/** Calls `onLine` for each line appended to `file` (inotify, no polling); close() reads the rest first. */
function follow(file: string, onLine: (line: string) => void): { close(): void } {
  let offset = 0;
  let partial = "";
  const buf = Buffer.alloc(64 * 1024);
  const read = () => {
    const fd = openSync(file, "r");
    try {
      for (let n = readSync(fd, buf, 0, buf.length, offset); n > 0; n = readSync(fd, buf, 0, buf.length, offset)) {
        offset += n;
        const lines = (partial + buf.toString("utf8", 0, n)).split("\n");
        partial = lines.pop() ?? "";
        for (const l of lines) if (l) onLine(l);
      }
    } finally {
      closeSync(fd);
    }
  };
  const watcher = watch(file, () => read());
  read();
  return {
    close() {
      watcher.close();
      read();
    },
  };
}
