import { createServer, type Server } from "node:http";

export interface Sink {
  /** The webhook URL to give a notify channel. */
  url: string;
  close(): Promise<void>;
}

/**
 * A local notification sink for the demos: a webhook receiver on 127.0.0.1 that prints each
 * notification ("notify LEVEL message", with the device's id when `withDevice`), so the demo (and
 * `edgewatch drill` against it) shows the alert path end to end.
 */
export function startSink(write: (line: string) => void, withDevice = false): Promise<Sink> {
  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      if (body.length < 65_536) body += c;
    });
    req.on("end", () => {
      try {
        const n = JSON.parse(body) as { level?: string; message?: string; device_id?: string };
        const who = withDevice && n.device_id ? `${n.device_id}: ` : "";
        write(`notify ${String(n.level ?? "?").padEnd(8)} ${who}${String(n.message ?? "").split("\n")[0]}`);
        res.writeHead(204).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}/notify`,
        // closeAllConnections: the senders' keep-alive connections would otherwise hold close() open
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
