import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { agentUnit } from "../../../src/agent/recovery/install.ts";
import { requireTool, tempDir, waitFor } from "../../helpers/tools.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const NOTIFY_SOCKET_PY = join(ROOT, "test", "agent", "recovery", "fixtures", "notify-socket.py");

/** A stand-in for systemd's notify socket; every datagram is one entry of `lines` ("\n" → "|"). */
async function notifySocket(t: TestContext, dir: string): Promise<{ sock: string; lines: string[] }> {
  const sock = join(dir, "notify.sock");
  const py = spawn("/usr/bin/python3", [NOTIFY_SOCKET_PY, sock], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => py.kill("SIGKILL"));
  const lines: string[] = [];
  py.stdout.setEncoding("utf8").on("data", (d: string) => lines.push(...d.split("\n").filter(Boolean)));
  await waitFor("the socket", () => lines.includes("listening"));
  return { sock, lines };
}

function startCli(t: TestContext, cfg: string, env: NodeJS.ProcessEnv) {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", join(ROOT, "src/cli/main.ts"), "agent", "--config", cfg, "--port", "0", "--bind", "127.0.0.1"],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } },
  );
  const io = { out: "", err: "", exit: null as number | null };
  child.stdout?.on("data", (c: Buffer) => {
    io.out += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    io.err += c.toString();
  });
  child.on("exit", (code) => {
    io.exit = code ?? -1;
  });
  t.after(() => {
    if (io.exit === null) child.kill("SIGKILL");
  });
  return { child, io };
}

test("recovery disabled: the agent under Type=notify reaches READY; SIGHUP sends RELOADING=1 then READY=1, never STOPPING=1; a bad config keeps the old one; STOPPING=1 only on a real stop", {
  timeout: 120_000,
}, async (t) => {
  if (!requireTool(t, "systemd-notify", "systemd") || !requireTool(t, "/usr/bin/python3", "python3")) return;
  const dir = tempDir(t, "ew-kernel-");
  const { sock, lines } = await notifySocket(t, dir);
  const cfg = join(dir, "agent.yaml");
  const write = (id: string) =>
    writeFileSync(
      cfg,
      `device: {id: ${id}, site: lab}\nstatus_dir: ${join(dir, "run")}\nstate_dir: ${join(dir, "state")}\nrecovery: {enabled: false}\n`,
    );
  write("first");
  const { child, io } = startCli(t, cfg, { NOTIFY_SOCKET: sock, WATCHDOG_USEC: "1000000" });
  const url = await waitFor("listening", () => /listening on (http:\/\/\S+)/.exec(io.out)?.[1], 60_000);
  await waitFor("READY=1", () => lines.find((l) => l.startsWith("READY=1|")), 30_000);
  assert.ok(
    lines.some((l) => l.includes(`MAINPID=${child.pid}`)),
    `READY names the agent's pid: ${lines.join(" / ")}`,
  );
  await waitFor("a WATCHDOG=1 ping", () => lines.includes("WATCHDOG=1"), 30_000);
  const status = async () => ((await (await fetch(`${url}/status`)).json()) as { device_id: string }).device_id;

  // A broken config: refused, the old one keeps running, systemd hears RELOADING=1 then READY=1.
  writeFileSync(cfg, "device: {id: 42}\nhttp: {port: lots}\n");
  let mark = lines.length;
  child.kill("SIGHUP");
  await waitFor("reload refused", () => /reload refused, keeping the running config/.test(io.err), 60_000);
  await waitFor("READY=1 after the refused reload", () => lines.slice(mark).some((l) => l.startsWith("READY=1")));
  let reload = lines.slice(mark).filter((l) => l !== "WATCHDOG=1" && l !== "BARRIER=1");
  assert.match(reload[0] ?? "", /^RELOADING=1\|MONOTONIC_USEC=\d+/, reload.join(" / "));
  assert.match(reload[1] ?? "", /^READY=1/, reload.join(" / "));
  assert.equal(await status(), "first");

  // A valid config: the modules restart with it, the service stays up (no STOPPING=1).
  write("second");
  mark = lines.length;
  child.kill("SIGHUP");
  const url2 = await waitFor(
    "reloaded",
    () => /config reloaded; listening on (http:\/\/\S+)/.exec(io.out)?.[1],
    60_000,
  );
  await waitFor("READY=1 after the reload", () => lines.slice(mark).some((l) => l.startsWith("READY=1")));
  reload = lines.slice(mark).filter((l) => l !== "WATCHDOG=1" && l !== "BARRIER=1");
  assert.match(reload[0] ?? "", /^RELOADING=1\|/, reload.join(" / "));
  assert.match(reload[1] ?? "", /^READY=1/, reload.join(" / "));
  assert.ok(!lines.some((l) => l.startsWith("STOPPING=1")), `no STOPPING=1 before the real stop: ${lines.join(" / ")}`);
  assert.equal(((await (await fetch(`${url2}/status`)).json()) as { device_id: string }).device_id, "second");

  child.kill("SIGTERM");
  await waitFor("exit", () => io.exit !== null, 30_000);
  assert.equal(io.exit, 0, io.err);
  assert.ok(lines.includes("STOPPING=1"), `STOPPING=1 on the real stop: ${lines.join(" / ")}`);
});

test("the generated unit reloads with SIGHUP (systemctl reload)", () => {
  const unit = agentUnit({
    exec: ["/usr/bin/node", "/opt/edgewatch/bin/edgewatch"],
    user: "pi",
    configPath: "/c.yaml",
  });
  assert.ok(unit.split("\n").includes("ExecReload=/bin/kill -HUP $MAINPID"), unit);
});
