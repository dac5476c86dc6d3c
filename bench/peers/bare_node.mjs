// A bare Node HTTP server serving one file per request: the floor for "a Node process serving /status".
// Usage: node bare_node.mjs PORT FILE
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";

const [port, file] = process.argv.slice(2);
createServer(async (req, res) => {
  if (req.url !== "/status") {
    res.writeHead(404).end();
    return;
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length }).end(body);
  } catch {
    res.writeHead(404).end();
  }
}).listen(Number(port), "127.0.0.1", () => console.log(`listening on ${port}`));
