import { z } from "zod";
import { duration, port } from "../config/kit.ts";

export const httpSection = () =>
  z
    .strictObject({
      port: port().default(8080).describe("TCP port of the agent's HTTP server"),
      bind: z.string().min(1).default("0.0.0.0").describe("Address to listen on (127.0.0.1 keeps it local)"),
      token: z
        .string()
        .min(16, { error: "expected a token of at least 16 characters" })
        .optional()
        .describe("Bearer token for control endpoints; control is disabled until it is set. Use ${ENV_VAR}."),
      max_header_bytes: z
        .number()
        .int()
        .min(1024)
        .max(65536)
        .default(8192)
        .describe("Largest request head (request line + headers) accepted; larger ones get 431"),
      max_body_bytes: z
        .number()
        .int()
        .min(0)
        .max(16 * 1024 * 1024)
        .default(65536)
        .describe("Largest request body accepted (control POSTs); larger ones get 413"),
      request_timeout: duration()
        .prefault(10)
        .describe("A client must send its whole request (head and body) within this time, else 408"),
      idle_timeout: duration()
        .prefault(30)
        .describe(
          "A connection with no traffic in either direction for this long is closed (stalled readers); keep it above 15 s, the live-events stream's heartbeat",
        ),
      keep_alive_timeout: duration().prefault(5).describe("How long an idle keep-alive connection is kept open"),
      max_connections: z
        .number()
        .int()
        .min(1)
        .max(10000)
        .default(256)
        .describe("Connections beyond this many are refused (bounded memory under a flood)"),
    })
    .prefault({})
    .describe("The agent's HTTP server");
