import { z } from "zod";
import { collectorFactories } from "./index.ts";
import { type CollectorFactory, type CollectorSection, durationAtLeast } from "./types.ts";

type Factories = typeof collectorFactories;
type Own<F> = F extends { readonly section?: infer S } ? NonNullable<S> : never;
/** `{ system: <its schema>, thermal: ..., ... }`: the section of every listed collector that has one. */
type Sections = { [F in Factories[number] as Own<F>["key"]]: ReturnType<Own<F>["schema"]> };

const sections = () =>
  Object.fromEntries(
    (collectorFactories as readonly CollectorFactory[])
      .map((f) => f.section)
      .filter((s): s is CollectorSection => s !== undefined)
      .map((s) => [s.key, s.schema()]),
  ) as Sections;

/** `collectors:` — Collectors: what the agent samples and how often; each collector's own section. */
export const collectorsSection = () =>
  z
    .strictObject({
      proc_root: z.string().min(1).default("/proc").describe("Where procfs is mounted (tests point it at fixtures)"),
      sys_root: z.string().min(1).default("/sys").describe("Where sysfs is mounted (tests point it at fixtures)"),
      timeout: durationAtLeast(100, "a timeout")
        .prefault("10s")
        .describe("A collector run taking longer fails with a timeout (capped at the collector's interval)"),
      ...sections(),
    })
    .prefault({})
    .describe("Collectors: what the agent samples and how often");

export type CollectorsConfig = z.output<ReturnType<typeof collectorsSection>>;
export type { CameraTestConfig } from "./camera-test.ts";
