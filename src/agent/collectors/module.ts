import type { ModuleFactory } from "../module.ts";
import { CollectorRunner } from "./runner.ts";

/** The "collectors" agent module (registered in src/agent/modules.ts). */
export const collectorsModule: ModuleFactory = (config) => new CollectorRunner(config);

export { CollectorRunner } from "./runner.ts";
