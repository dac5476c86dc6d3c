import { createConnection, createServer, type Socket } from "node:net";

export interface Relay {
  /** host:port the device dials instead of the hub. */
  readonly port: number;
  readonly cut: boolean;
  /** The link goes dead: open connections are dropped, new ones hang unanswered (as over a lost network). */
  cutLink(): void;
  /** The link is back: the hung connections are dropped (the device retries), new ones pass. */
  openLink(): void;
  close(): Promise<void>;
}

/**
 * A TCP relay on 127.0.0.1 between one device and the hub: bytes pass both ways untouched, so the
 * device's pushes are real HTTP to the real hub; cutting it is the device dropping off the network.
 */
export function startRelay(target: { host: string; port: number }): Promise<Relay> {
  const live = new Set<Socket>();
  const hung = new Set<Socket>();
  let cut = false;
  const server = createServer((client) => {
    client.on("error", () => {});
    if (cut) {
      hung.add(client);
      client.once("close", () => hung.delete(client));
      return;
    }
    const upstream = createConnection(target);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    live.add(client);
    live.add(upstream);
    const done = () => {
      live.delete(client);
      live.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.once("close", done);
    upstream.once("close", done);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({
        port,
        get cut() {
          return cut;
        },
        cutLink() {
          cut = true;
          for (const s of live) s.destroy();
        },
        openLink() {
          cut = false;
          for (const s of hung) s.destroy();
        },
        close() {
          for (const s of [...live, ...hung]) s.destroy();
          return new Promise<void>((r) => server.close(() => r()));
        },
      });
    });
  });
}
