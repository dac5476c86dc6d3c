import assert from "node:assert/strict";
import { test } from "node:test";
import { CollectorRunner } from "../../../src/agent/collectors/runner.ts";
import type { Collector, CollectorFactory } from "../../../src/agent/collectors/types.ts";
import { DeviceState } from "../../../src/agent/state.ts";
import { tempDir, waitFor } from "../../helpers/tools.ts";
import { agentContext, config } from "./helpers.ts";

/** A collector defined through the public interface, counting its runs. */
function counting(name: string, intervalMs: number, essential = false, body?: Collector["collect"]) {
  const c = {
    runs: 0,
    name,
    essential,
    intervalMs,
    async collect(ctx: Parameters<Collector["collect"]>[0]) {
      c.runs++;
      if (body) return body(ctx);
      return { runs: c.runs };
    },
    metrics: (d: Record<string, unknown>) => [
      { name: `test_${name}_runs`, help: "runs", type: "gauge" as const, samples: [{ value: d.runs as number }] },
    ],
  };
  return c;
}

const factory =
  (c: Collector): CollectorFactory =>
  () =>
    c;

function startRunner(t: Parameters<typeof tempDir>[0], collectors: Collector[], state = new DeviceState()) {
  const cfg = config({ timeout: "10s" });
  const runner = new CollectorRunner(cfg, { factories: collectors.map(factory) });
  const ctx = agentContext(cfg, tempDir(t), state);
  runner.start(ctx);
  t.after(() => runner.stop());
  return { runner, state, ctx };
}

test("runner: a throwing and a hanging collector never stop the others; timeouts become ok:false results", async (t) => {
  const good = counting("good", 50);
  const throws = counting("throws", 50, false, async () => {
    throw new Error("boom: /proc/foo is garbage");
  });
  // Hangs forever and ignores the abort signal: the worst case.
  const hangs = counting("hangs", 100, false, () => new Promise(() => {}));
  // Hangs, but stops when aborted: its next run starts normally.
  const abortable = counting(
    "abortable",
    100,
    false,
    (ctx) =>
      new Promise((_, reject) =>
        ctx.signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true }),
      ),
  );
  const { runner, state } = startRunner(t, [hangs, throws, abortable, good]);
  await waitFor("the good collector to keep running", () => good.runs >= 8, 30_000);
  await waitFor("the abortable one to be retried", () => abortable.runs >= 3, 30_000);
  assert.ok(throws.runs >= 3, `throws ran ${throws.runs} times`);
  assert.equal(state.collectors.get("good")?.ok, true);
  assert.deepEqual(state.collectors.get("good")?.data, { runs: good.runs });
  const thrown = state.collectors.get("throws");
  assert.equal(thrown?.ok, false);
  assert.equal(thrown?.error, "boom: /proc/foo is garbage");
  const aborted = state.collectors.get("abortable");
  assert.equal(aborted?.ok, false);
  assert.equal(aborted?.error, "timed out after 100 ms");
  // The hung run never settles: later runs are skipped instead of piling up.
  assert.equal(hangs.runs, 1);
  await waitFor("a skipped run", () => state.collectors.get("hangs")?.error?.startsWith("skipped"), 30_000);
  assert.equal(hangs.runs, 1);

  // The hung collector is "stuck" once 3 intervals pass without a finished run; /health/deep names it.
  const verdict = await waitFor(
    "health to report the stuck collector",
    () => {
      const h = runner.health();
      return h.ok ? null : h;
    },
    30_000,
  );
  assert.match(String(verdict?.detail), /^stuck: hangs \(no finished run for \d+ s, limit 0\.3 s\)$/);

  const m = Object.fromEntries(runner.metrics().map((f) => [f.name, f]));
  const success = Object.fromEntries(
    (m.edgewatch_collector_success?.samples ?? []).map((s) => [s.labels?.collector, s.value]),
  );
  assert.deepEqual(success, { hangs: 0, throws: 0, abortable: 0, good: 1 });
  assert.ok(m.test_good_runs, "the good collector's own families are exported");
  assert.equal(m.test_throws_runs, undefined, "no data families from a failed run");
  for (const s of m.edgewatch_collector_duration_seconds?.samples ?? []) assert.ok(s.value >= 0);
});

test("runner: health is ok and names failing collectors while none is stuck", async (t) => {
  const good = counting("good", 1000);
  const bad = counting("bad", 1000, false, async () => {
    throw new Error("no such device");
  });
  const { runner } = startRunner(t, [good, bad]);
  await waitFor("both to run", () => good.runs >= 1 && bad.runs >= 1);
  await waitFor("bad's result", () => runner.snapshot().every((s) => s.last));
  const h = runner.health();
  assert.equal(h.ok, true);
  assert.equal(h.detail, "2 collectors, failing: bad: no such device");
});

test("runner: quiet mode (creating_video) pauses non-essential collectors — no timer — and resumes them after", async (t) => {
  const essential = counting("essential", 50, true);
  const normal = counting("normal", 50, false);
  const { runner, state } = startRunner(t, [essential, normal]);
  await waitFor("both running", () => essential.runs >= 2 && normal.runs >= 2, 30_000);

  await state.setDocument({ status: "creating_video" });
  assert.equal(runner.isScheduled("normal"), false);
  const pausedAt = normal.runs;
  const e0 = essential.runs;
  await waitFor("the essential collector to keep running", () => essential.runs >= e0 + 4, 30_000);
  assert.equal(normal.runs, pausedAt, "a paused collector must not run");
  assert.equal(runner.isScheduled("normal"), false);
  const paused = runner.metrics().find((f) => f.name === "edgewatch_collector_paused");
  assert.deepEqual(
    paused?.samples.map((s) => [s.labels?.collector, s.value]),
    [
      ["essential", 0],
      ["normal", 1],
    ],
  );
  // Paused for far longer than 3 intervals, yet not "stuck".
  const h = runner.health();
  assert.equal(h.ok, true, h.detail);
  assert.match(String(h.detail), /1 paused \(quiet mode\)/);

  // Other status changes while still quiet do nothing; leaving quiet mode resumes at once.
  await state.setDocument({ status: "creating_video", progress: 50 });
  assert.equal(runner.isScheduled("normal"), false);
  await state.setDocument({ status: "idle" });
  await waitFor("the paused collector to resume", () => normal.runs > pausedAt, 30_000);
  assert.equal(runner.health().ok, true);
});

test("runner: started while already quiet, non-essential collectors wait for the video to finish", async (t) => {
  const state = new DeviceState();
  await state.setDocument({ status: "creating_video" });
  const essential = counting("essential", 50, true);
  const normal = counting("normal", 50, false);
  const { runner } = startRunner(t, [essential, normal], state);
  await waitFor("the essential collector", () => essential.runs >= 3, 30_000);
  assert.equal(normal.runs, 0);
  assert.equal(runner.isScheduled("normal"), false);
  await state.setDocument({ status: "capturing" });
  await waitFor("normal to start", () => normal.runs >= 1, 30_000);
});

test("runner: stop() leaves no timer armed; a factory that throws is logged and skipped", async (t) => {
  const good = counting("good", 50);
  const broken: CollectorFactory = () => {
    throw new Error("bad hardware description");
  };
  const cfg = config();
  const runner = new CollectorRunner(cfg, { factories: [broken, factory(good), factory(counting("good", 50))] });
  const ctx = agentContext(cfg, tempDir(t));
  runner.start(ctx);
  await waitFor("good to run", () => good.runs >= 2, 30_000);
  assert.ok(ctx.log.lines.some((l) => l.level === "error" && l.msg.includes("bad hardware description")));
  assert.ok(ctx.log.lines.some((l) => l.level === "error" && l.msg.includes('two collectors are named "good"')));
  assert.deepEqual(
    runner.snapshot().map((s) => s.name),
    ["good"],
  );
  runner.stop();
  assert.equal(runner.isScheduled("good"), false);
  const n = good.runs;
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(good.runs <= n + 1, "at most the run already in flight");
});

test("runner: the default registry builds only enabled collectors (no Redis without a URL)", (t) => {
  const names = (cfg: ReturnType<typeof config>) => {
    const r = new CollectorRunner(cfg);
    r.start(agentContext(cfg, tempDir(t)));
    const out = r.snapshot().map((s) => s.name);
    r.stop();
    return out;
  };
  assert.deepEqual(names(config()), ["system", "thermal", "rpi_power", "camera", "schedule"]);
  assert.deepEqual(
    names(
      config({
        system: { enabled: false },
        thermal: { enabled: false },
        rpi_power: { enabled: false },
        camera: { enabled: false },
        schedule: { enabled: false },
        redis: { url: "redis://127.0.0.1:1" },
      }),
    ),
    ["redis"],
  );
});

test("collectors config: every problem at once, each naming the key, what was expected and what was got", async () => {
  const { validateConfig } = await import("../../../src/agent/config.ts");
  assert.throws(
    () =>
      validateConfig(
        {
          collectors: {
            timeout: "0s",
            system: { interval: "500ms", mounts: "/", reachability: { port: 0 } },
            camera: { window: 0 },
            schedule: { start: "7am", stall_factor: 0 },
            thermal: { enabled: "yes" },
            gpu: {},
          },
        },
        "device.yaml",
      ),
    (err: Error & { problems?: string[] }) => {
      // Our own messages exactly; the loader's generic wording (types, bounds) only by key and value.
      assert.deepEqual(
        err.problems?.map((p) => p.replace(/: .*/, "")),
        Array(9).fill("device.yaml"),
      );
      const lines = (err.problems ?? []).map((p) => p.slice("device.yaml: ".length));
      assert.deepEqual(lines.slice(0, 2), [
        'collectors.timeout: expected a timeout of at least 0.1s, got "0s"',
        'collectors.system.interval: expected an interval of at least 1s, got "500ms"',
      ]);
      assert.match(lines[2] ?? "", /^collectors\.system\.mounts: expected .*, got "\/"$/);
      assert.match(lines[3] ?? "", /^collectors\.system\.reachability\.port: expected .*1, got 0$/);
      assert.match(lines[4] ?? "", /^collectors\.thermal\.enabled: expected .*, got "yes"$/);
      assert.match(lines[5] ?? "", /^collectors\.camera\.window: expected .*1, got 0$/);
      assert.equal(lines[6], 'collectors.schedule.start: expected a local time like "07:15" or "07:15:00", got "7am"');
      assert.match(lines[7] ?? "", /^collectors\.schedule\.stall_factor: expected .*1, got 0$/);
      assert.match(lines[8] ?? "", /^collectors.*gpu.*unknown key/);
      return true;
    },
  );
  // An empty config is valid, and its defaults are usable.
  const cfg = config();
  assert.equal(cfg.collectors.system.interval, 30_000);
  assert.deepEqual(cfg.collectors.system.mounts, ["/"]);
  assert.equal(cfg.collectors.redis.url, undefined);
});

test("runner: reactive collectors (camera, schedule) run soon after a status change, at most once a second", async (t) => {
  const reactive = Object.assign(counting("reactive", 3_600_000), { reactive: true });
  const periodic = counting("periodic", 3_600_000);
  const { state } = startRunner(t, [reactive, periodic]);
  await waitFor("the first runs", () => reactive.runs === 1 && periodic.runs === 1, 30_000);
  await state.setDocument({ status: "capturing", today: { photos_captured: 1 } });
  await waitFor("a run caused by the status change", () => reactive.runs === 2, 30_000);
  // A burst of changes is coalesced into one more run (1 s apart from the previous one).
  for (let i = 2; i < 50; i++) await state.setDocument({ status: "capturing", today: { photos_captured: i } });
  await waitFor("the coalesced run", () => reactive.runs === 3, 30_000);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(reactive.runs, 3, "one run for the whole burst");
  assert.equal(periodic.runs, 1, "non-reactive collectors ignore status changes");
  // Paused in quiet mode: status changes do not wake a non-essential reactive collector.
  await state.setDocument({ status: "creating_video" });
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(reactive.runs, 3);
});
