import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { Queue } from "bullmq";
import type { QueueSnapshot } from "../../src/jobs/queues/types.ts";
import { get, startTestAgent } from "../agent/core/helpers.ts";
import { freePort, startRedis } from "../helpers/redis.ts";
import { requireTool, tempDir, waitFor } from "../helpers/tools.ts";
import { promtoolProblems } from "./helpers.ts";

const PY = "/usr/bin/python3"; // Debian's python3 has python3-rq; the pyenv one on PATH does not

function bg(t: TestContext, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const child: ChildProcess = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  t.after(() => child.kill("SIGKILL"));
  return { child, output: () => out };
}

type QueuesView = { system: string; up: boolean; error: string | null; queues: QueueSnapshot[] }[];
type Alert = { rule: string; summary: string };

const TASKS = `
import time
def slow(n):
    time.sleep(n)
    return n
def boom():
    raise RuntimeError("encoder crashed")
`;

const ENQUEUE = `
import sys
from datetime import timedelta
from redis import Redis
from rq import Queue
r = Redis(port=int(sys.argv[1]))
video = Queue("video", connection=r)
first = None
for i in range(12):
    j = video.enqueue("tasks.slow", 1)
    first = first or j
video.enqueue("tasks.slow", 1, depends_on=first)          # deferred: waits for an unfinished job
video.enqueue_in(timedelta(hours=1), "tasks.slow", 1)    # scheduled
Queue("upload", connection=r).enqueue("tasks.boom")
Queue("encode", connection=r).enqueue("tasks.slow", 120, job_timeout=3)
Queue("idle", connection=r)
r.sadd("rq:queues", "rq:queue:idle")
`;

const WORKER = `
import sys
from redis import Redis
from rq import Queue, SimpleWorker
r = Redis(port=int(sys.argv[1]))
w = SimpleWorker([Queue(sys.argv[2], connection=r)], connection=r, default_worker_ttl=int(sys.argv[3]))
w.work(burst=sys.argv[4] == "burst")
`;

const BULL_WORKER = `
import { createRequire } from "node:module";
const { Worker } = createRequire(${JSON.stringify(join(process.cwd(), "package.json"))})("bullmq");
const w = new Worker("thumbs", async (job) => {
  if (job.name === "boom") throw new Error("thumbnail failed");
  if (job.name === "hang") { console.log("hanging " + job.id); return new Promise(() => {}); }
  return "ok";
}, { connection: { host: "127.0.0.1", port: Number(process.argv[2]) }, lockDuration: 2000, stalledInterval: 600000 });
w.on("ready", () => console.log("ready"));
`;

test("RQ and BullMQ queues written by the real libraries: the collectors report the right numbers; stuck jobs and dead workers raise alerts", async (t) => {
  if (!requireTool(t, PY, "python3-rq")) return;
  const port = await startRedis(t);
  if (port === null) return;
  const dir = tempDir(t, "ew-rq-");
  writeFileSync(join(dir, "tasks.py"), TASKS);
  writeFileSync(join(dir, "enqueue.py"), ENQUEUE);
  writeFileSync(join(dir, "worker.py"), WORKER);
  writeFileSync(join(dir, "bullworker.mjs"), BULL_WORKER);
  const py = { cwd: dir, env: { ...process.env, PYTHONPATH: dir } };

  // --- RQ: real jobs, a failed one, one left "started" by a SIGKILLed worker, an idle live worker
  const quiet = { ...py, timeout: 60_000, stdio: "pipe" as const };
  execFileSync(PY, ["enqueue.py", String(port)], quiet);
  execFileSync(PY, ["worker.py", String(port), "upload", "60", "burst"], quiet);
  const idle = bg(t, PY, ["worker.py", String(port), "idle", "5", "forever"], py);
  const encoder = bg(t, PY, ["worker.py", String(port), "encode", "3", "forever"], py);
  await waitFor(
    "the encode job to be started",
    () =>
      execFileSync("redis-cli", ["-p", String(port), "ZCARD", "rq:wip:encode"], { encoding: "utf8" }).trim() === "1",
    60_000,
  );
  encoder.child.kill("SIGKILL"); // the worker dies mid-job: the job stays in the started registry

  // --- BullMQ: jobs added with the bullmq package, processed by a real Worker process that is then killed
  const queue = new Queue("thumbs", { connection: { host: "127.0.0.1", port } });
  t.after(() => queue.close());
  const bull = bg(t, process.execPath, [join(dir, "bullworker.mjs"), String(port)]);
  await waitFor("the BullMQ worker to connect", () => bull.output().includes("ready"), 60_000);
  await queue.add("ok", { n: 1 });
  await queue.add("boom", { n: 2 });
  await queue.add("hang", { n: 3 });
  await queue.add("later", { n: 4 }, { delay: 3_600_000 });
  await waitFor("the worker to hang on a job", () => bull.output().includes("hanging"), 60_000);

  const agent = await startTestAgent(t, {
    jobs: {
      queues: {
        redis_url: `redis://127.0.0.1:${port}`,
        interval: "500ms",
        worker_down_after: "1s",
        bullmq: ["thumbs"],
      },
    },
  });
  const queuesOf = async () => (await get(`${agent.url}/api/jobs`)).json<{ queues: QueuesView }>().queues;
  const rq = (v: QueuesView, name: string) => v.find((s) => s.system === "rq")?.queues.find((q) => q.name === name);
  const bq = (v: QueuesView) => v.find((s) => s.system === "bullmq")?.queues.find((q) => q.name === "thumbs");

  const live = await waitFor(
    "both live workers counted",
    async () => {
      const v = await queuesOf();
      return rq(v, "idle")?.workers === 1 && bq(v)?.workers === 1 ? v : null;
    },
    60_000,
  );
  assert.equal(bq(live as QueuesView)?.states.active, 1, "the hanging job is active while its worker lives");
  assert.equal(bq(live as QueuesView)?.stuck, 0, "a locked active job is not stalled");

  bull.child.kill("SIGKILL"); // its lock (2 s) expires: the active job is stalled
  for (let i = 0; i < 12; i++) await queue.add("later-batch", { i });

  const v = await waitFor(
    "stuck RQ job, dead RQ worker, stalled BullMQ job",
    async () => {
      const x = await queuesOf();
      return rq(x, "encode")?.stuck === 1 && rq(x, "encode")?.workers_dead === 1 && bq(x)?.stuck === 1 ? x : null;
    },
    60_000,
  );
  const views = v as QueuesView;
  assert.deepEqual(rq(views, "video")?.states, {
    queued: 12,
    started: 0,
    failed: 0,
    deferred: 1,
    scheduled: 1,
    finished: 0,
    canceled: 0,
  });
  assert.equal(rq(views, "video")?.depth, 12);
  assert.equal(rq(views, "upload")?.states.failed, 1);
  assert.equal(rq(views, "upload")?.states.queued, 0);
  const encode = rq(views, "encode") as QueueSnapshot;
  assert.equal(encode.states.started, 1);
  assert.match(encode.stuck_jobs[0]?.reason ?? "", /past its 3 s timeout/);
  assert.equal(encode.stuck_jobs[0]?.timeout_s, 3);
  assert.match(encode.stuck_jobs[0]?.description ?? "", /tasks\.slow\(120\)/);
  assert.equal(encode.workers, 0);
  assert.match(encode.dead_workers[0]?.reason ?? "", /no heartbeat for \d+ s/);
  assert.equal(rq(views, "idle")?.workers, 1, "a live idle worker is not dead");
  assert.equal(rq(views, "idle")?.workers_dead, 0);

  const thumbs = bq(views) as QueueSnapshot;
  assert.deepEqual(thumbs.states, {
    wait: 12,
    active: 1,
    completed: 1,
    failed: 1,
    delayed: 1,
    prioritized: 0,
    paused: 0,
    "waiting-children": 0,
    stalled: 1,
  });
  assert.equal(thumbs.workers, 0);
  assert.match(thumbs.stuck_jobs[0]?.reason ?? "", /stalled: its lock expired/);
  assert.equal(thumbs.stuck_jobs[0]?.description, "hang");

  const alerts = await waitFor(
    "queue alerts",
    async () => {
      const f = (await get(`${agent.url}/api/alerts`)).json<{ firing: Alert[] }>().firing;
      const need = ["queue_depth", "queue_stuck_jobs", "queue_worker_down", "queue_no_workers", "queue_failed_jobs"];
      return need.every((r) => f.some((a) => a.rule === r)) ? f : null;
    },
    60_000,
  );
  const summaries = (alerts as Alert[]).map((a) => a.summary).join("\n");
  assert.match(summaries, /rq queue video: 12 jobs waiting \(over 10\)/);
  assert.match(summaries, /bullmq queue thumbs: 12 jobs waiting \(over 10\)/);
  assert.match(summaries, /rq queue encode: 1 stuck job .*past its 3 s timeout/);
  assert.match(summaries, /bullmq queue thumbs: 1 stuck job .*stalled/);
  assert.match(summaries, /rq queue encode: worker \S+ down \(no heartbeat for \d+ s/);
  assert.match(summaries, /rq queue upload: 1 failed job/);
  assert.match(
    summaries,
    /bullmq queue thumbs: 12 jobs waiting and no live worker/,
    "BullMQ's dead worker shows as no worker",
  );

  const metrics = (await get(`${agent.url}/metrics`)).body;
  assert.match(metrics, /edgewatch_queue_jobs\{[^}]*queue="video"[^}]*state="queued"[^}]*\} 12\n/);
  assert.match(metrics, /edgewatch_queue_jobs\{[^}]*queue="thumbs"[^}]*state="failed"[^}]*\} 1\n/);
  assert.match(metrics, /edgewatch_queue_workers\{[^}]*queue="idle"[^}]*\} 1\n/);
  assert.match(metrics, /edgewatch_queue_stuck_jobs\{[^}]*queue="encode"[^}]*\} 1\n/);
  if (requireTool(t, "promtool", "prometheus")) {
    assert.equal(promtoolProblems(metrics), "", "promtool check metrics accepts the job/queue/transfer families");
  }

  // read-only: the collectors changed nothing RQ or BullMQ would act on
  const cli = (...a: string[]) => execFileSync("redis-cli", ["-p", String(port), ...a], { encoding: "utf8" }).trim();
  assert.equal(cli("ZCARD", "rq:wip:encode"), "1", "the stuck job is still where RQ left it");
  assert.equal(cli("LLEN", "bull:thumbs:active"), "1", "the stalled job is still active (BullMQ moves it, not us)");
  idle.child.kill("SIGKILL");
});

test("a Redis that refuses connections: queues are 'down' with the reason, an alert fires, the agent keeps serving", async (t) => {
  const port = await freePort(); // nothing listens there
  const agent = await startTestAgent(t, {
    jobs: { queues: { redis_url: `redis://127.0.0.1:${port}`, interval: "500ms", bullmq: ["thumbs"] } },
    alerts: { rules: { queue_backend_down: { for: "0s" } } },
  });
  const v = await waitFor(
    "queues reported down",
    async () => {
      const q = (await get(`${agent.url}/api/jobs`)).json<{ queues: QueuesView }>().queues;
      return q.length === 2 && q.every((s) => !s.up) ? q : null;
    },
    60_000,
  );
  for (const s of v as QueuesView) {
    assert.match(s.error ?? "", new RegExp(`cannot connect to Redis at 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`));
  }
  await waitFor(
    "queue_backend_down alert",
    async () =>
      (await get(`${agent.url}/api/alerts`))
        .json<{ firing: Alert[] }>()
        .firing.some((a) => a.rule === "queue_backend_down" && /unreadable: cannot connect/.test(a.summary)),
    60_000,
  );
  assert.match((await get(`${agent.url}/metrics`)).body, /edgewatch_queue_up\{[^}]*system="rq"[^}]*\} 0\n/);
  assert.equal((await get(`${agent.url}/health`)).status, 200, "the agent is fine");
});
