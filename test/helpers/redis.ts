import { type ChildProcess, spawn } from "node:child_process";
import { connect, createServer } from "node:net";
import type { TestContext } from "node:test";
import { requireTool, tempDir, waitFor } from "./tools.ts";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A real redis-server on a free loopback port (no persistence), killed after the test; null when skipped. */
export async function startRedis(t: TestContext, extra: string[] = []): Promise<number | null> {
  const bin = requireTool(t, "redis-server");
  if (!bin) return null;
  const port = await freePort();
  const dir = tempDir(t, "ew-redis-");
  const child: ChildProcess = spawn(
    bin,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...extra],
    { stdio: "ignore" },
  );
  t.after(() => {
    child.kill("SIGKILL");
  });
  await waitFor(
    "redis-server to listen",
    () =>
      new Promise<boolean>((resolve) => {
        const s = connect({ host: "127.0.0.1", port }, () => {
          s.destroy();
          resolve(true);
        });
        s.on("error", () => resolve(false));
      }),
    30_000,
  );
  return port;
}
