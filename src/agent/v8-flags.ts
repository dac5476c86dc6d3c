/**
 * V8 settings the agent runs with, for a smaller idle footprint (docs/bench/footprint.md). V8 reads
 * them when it compiles a script, so they are set before the agent's code is loaded: by the bundle's
 * entry (src/entry/edgewatch.ts) when the command is `agent`. Measured, each against the agent without it:
 * - `--interrupt-budget`: functions are optimized only once they have run 15× more than V8's default
 *   (1 000 000 vs 67 584 bytecodes' worth): the one-off startup work (config validation, YAML, module
 *   setup) is no longer compiled by TurboFan, about 5–6 MiB less idle RSS; request handlers still
 *   get optimized under load, a few seconds later.
 * - `--optimize-for-size`: heuristics that favour memory over speed, about 1–3 MiB less.
 * - `--max-bytecode-size-for-early-opt=0`: no function is optimized on its first tick just for being
 *   small. Node's own functions (path.resolve's helpers) run before these settings exist, with
 *   the default budget: one of them compiled by TurboFan at startup pages TurboFan's code in from
 *   the node binary, about 3 MiB of RSS the agent then keeps at idle. Under load the request path
 *   still gets optimized, after its ticks.
 * `--lite-mode` saves about as much as both together but drops the optimizing compiler: /status and
 * /metrics throughput fall several-fold, so it is not used.
 */
export const AGENT_V8_FLAGS = [
  "--optimize-for-size",
  "--interrupt-budget=1000000",
  "--max-bytecode-size-for-early-opt=0",
] as const;
