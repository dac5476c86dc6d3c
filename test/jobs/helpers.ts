import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const MAIN = join(process.cwd(), "src", "cli", "main.ts");

/** Runs the real CLI (through tsx, so no build is needed) and waits for it. */
export function ew(args: string[], env: NodeJS.ProcessEnv = {}, timeout = 120_000) {
  const res = spawnSync(process.execPath, ["--import", "tsx", MAIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, EDGEWATCH_CONFIG: "", EDGEWATCH_DIR: "", ...env },
    timeout,
  });
  return { code: res.status, signal: res.signal, out: res.stdout, err: res.stderr };
}

/** Starts the real CLI in the background; resolves with its exit code and output when it ends. */
export function ewAsync(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    env: { ...process.env, EDGEWATCH_CONFIG: "", EDGEWATCH_DIR: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    child.on("close", (code) => resolve({ code, out, err }));
  });
  return { child, done, output: () => out + err };
}

export function readJsonLines(path: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** `promtool check metrics` on a /metrics body: "" when clean, else what promtool said. Null when promtool is missing. */
export function promtoolProblems(body: string): string | null {
  const res = spawnSync("promtool", ["check", "metrics"], { input: body, encoding: "utf8", timeout: 60_000 });
  if (res.error) return null;
  return `${res.stdout}${res.stderr}`.trim() + (res.status === 0 ? "" : ` (exit ${res.status})`);
}
