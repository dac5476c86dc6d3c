// Drives the three language clients (clients/python, clients/cpp, clients/sh) through their command
// lines, so every test can run the same case against each of them.
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const PY_CLIENT = join(root, "clients", "python", "edgewatch_status.py");
export const SH_CLIENT = join(root, "clients", "sh", "edgewatch-status.sh");
export const CPP_HEADER_DIR = join(root, "clients", "cpp");
export const CPP_TOOL_SRC = join(root, "clients", "cpp", "ew-status.cpp");
export const CXXFLAGS = ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic"];

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface EventOpts {
  code?: string;
  /** key=value strings */
  fields?: string[];
}

export interface ClientCli {
  name: "python" | "cpp" | "sh";
  /** Whether `a.b=1` deep-merges (the shell client merges top-level keys only). */
  nested: boolean;
  set(dir: string, source: string, assignments: string[], env?: NodeJS.ProcessEnv): Run;
  event(dir: string, source: string, level: string, message: string, opts?: EventOpts): Run;
  heartbeat(dir: string, source: string): Run;
}

function done(r: SpawnSyncReturns<string>): Run {
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Run {
  return done(spawnSync(cmd, args, { encoding: "utf8", env: env ?? process.env, timeout: 60_000 }));
}

const noDirEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.EDGEWATCH_DIR;
  return env;
};

/** A client run as `INTERPRETER SCRIPT set|event|heartbeat ...`: the Python and shell clients share this CLI. */
function scriptClient(name: ClientCli["name"], nested: boolean, interpreter: string, script: string): ClientCli {
  return {
    name,
    nested,
    set: (dir, source, a, env) => run(interpreter, [script, "set", "-s", source, "-d", dir, ...a], env),
    event: (dir, source, level, message, o = {}) =>
      run(interpreter, [
        script,
        "event",
        "-s",
        source,
        "-d",
        dir,
        ...(o.code !== undefined ? ["--code", o.code] : []),
        ...(o.fields ?? []).flatMap((f) => ["-f", f]),
        "--",
        level,
        message,
      ]),
    heartbeat: (dir, source) => run(interpreter, [script, "heartbeat", "-d", dir, "--", source]),
  };
}

export const python = scriptClient("python", true, "python3", PY_CLIENT);
export const sh = scriptClient("sh", false, "dash", SH_CLIENT);

/** The C++ client through clients/cpp/ew-status.cpp, compiled once into `binDir`. */
export function cppClient(binDir: string): ClientCli {
  mkdirSync(binDir, { recursive: true });
  const bin = join(binDir, "ew-status");
  const c = run("g++", [...CXXFLAGS, `-I${CPP_HEADER_DIR}`, "-o", bin, CPP_TOOL_SRC]);
  if (c.code !== 0) throw new Error(`g++ failed to compile ${CPP_TOOL_SRC}:\n${c.stderr}`);
  const withDir = (dir: string): NodeJS.ProcessEnv => ({ ...noDirEnv(), EDGEWATCH_DIR: dir });
  return {
    name: "cpp",
    nested: true,
    set: (dir, source, a, env) => run(bin, ["set", source, ...a], env ?? withDir(dir)),
    event: (dir, source, level, message, o = {}) =>
      run(
        bin,
        [
          "event",
          source,
          level,
          message,
          ...(o.code !== undefined || o.fields ? [o.code ?? ""] : []),
          ...(o.fields ?? []),
        ],
        withDir(dir),
      ),
    heartbeat: (dir, source) => run(bin, ["heartbeat", source], withDir(dir)),
  };
}

/** An environment without EDGEWATCH_DIR (or with it set to `dir`). */
export function envWithDir(dir?: string): NodeJS.ProcessEnv {
  const env = noDirEnv();
  if (dir !== undefined) env.EDGEWATCH_DIR = dir;
  return env;
}
