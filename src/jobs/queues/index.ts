// The queue readers' door: the agent's queue collectors (rq, bullmq) enter here.
export { readBullmq } from "./bullmq.ts";
export { collectQueues } from "./collect.ts";
export { readRq } from "./rq.ts";
export type * from "./types.ts";
