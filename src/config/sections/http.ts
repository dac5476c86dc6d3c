import { z } from "zod";
import { port } from "../kit.ts";

export const httpSection = z
  .strictObject({
    port: port().default(8080).describe("TCP port of the agent's HTTP server"),
    bind: z.string().min(1).default("0.0.0.0").describe("Address to listen on (127.0.0.1 keeps it local)"),
    token: z
      .string()
      .min(16, { error: "expected a token of at least 16 characters" })
      .optional()
      .describe("Bearer token for control endpoints; control is disabled until it is set. Use ${ENV_VAR}."),
  })
  .default({ port: 8080, bind: "0.0.0.0" });
