import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseFragment } from "../../src/protocol/fragment.ts";
import { programFamilies } from "../../src/protocol/metrics.ts";
import { get, startTestAgent, until } from "../agent/core/helpers.ts";
import { CPP_HEADER_DIR, CPP_TOOL_SRC, CXXFLAGS, PY_CLIENT, SH_CLIENT } from "../clients/clients.ts";
import { requireTool, tempDir } from "../helpers/tools.ts";

interface MetricCli {
  name: string;
  /** NAME VALUE [label=value ...] with optional type and help. */
  metric(dir: string, source: string, args: string[], type?: string, help?: string): { code: number; stderr: string };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(cmd, args, { encoding: "utf8", env, timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const scriptCli = (name: string, interpreter: string, script: string): MetricCli => ({
  name,
  metric: (dir, source, args, type, help) =>
    run(interpreter, [
      script,
      "metric",
      "-s",
      source,
      "-d",
      dir,
      ...(type ? ["--type", type] : []),
      ...(help !== undefined ? ["--help-text", help] : []),
      "--",
      ...args,
    ]),
});

function cppCli(binDir: string): MetricCli {
  const bin = join(binDir, "ew-status");
  const c = run("g++", [...CXXFLAGS, `-I${CPP_HEADER_DIR}`, "-o", bin, CPP_TOOL_SRC]);
  if (c.code !== 0) throw new Error(`g++ failed:\n${c.stderr}`);
  return {
    name: "cpp",
    metric: (dir, source, args, type, help) =>
      run(
        bin,
        [
          "metric",
          source,
          ...args.slice(0, 2),
          ...(type ? [`--type=${type}`] : []),
          ...(help !== undefined ? [`--help-text=${help}`] : []),
          ...args.slice(2),
        ],
        { ...process.env, EDGEWATCH_DIR: dir },
      ),
  };
}

const HELP = 'Uploads "by" result \\ and more';

/** The same sequence through each client: a bare gauge, a labelled counter, one sample replaced, bad input refused. */
function exercise(t: import("node:test").TestContext, cli: MetricCli, dir: string): void {
  const ok = (r: { code: number; stderr: string }) => assert.equal(r.code, 0, `${cli.name}: ${r.stderr}`);
  ok(cli.metric(dir, "recorder", ["recorder_upload_queue_size", "4"]));
  ok(cli.metric(dir, "recorder", ["uploads", "41", "result=ok"], "counter", HELP));
  ok(cli.metric(dir, "recorder", ["uploads", "2", "result=failed"]));
  ok(cli.metric(dir, "recorder", ["uploads", "43", "result=ok"]));
  ok(cli.metric(dir, "recorder", ["recorder_disk_free_bytes", "4200000000.5"]));
  const path = join(dir, "status.d", "recorder.json");
  const before = readFileSync(path, "utf8");
  const parsed = parseFragment(Buffer.from(before), 0); // the TypeScript reader's own check
  const fams = programFamilies(parsed.data.metrics);
  const byName = Object.fromEntries(fams.map((f) => [f.name, f]));
  assert.deepEqual(byName.recorder_upload_queue_size?.samples, [{ labels: {}, value: 4 }], cli.name);
  assert.equal(byName.recorder_upload_queue_size?.type, "gauge");
  assert.equal(byName.recorder_disk_free_bytes?.samples[0]?.value, 4200000000.5, cli.name);
  assert.equal(byName.uploads?.type, "counter", cli.name);
  assert.equal(byName.uploads?.help, HELP, cli.name);
  const samples = [...(byName.uploads?.samples ?? [])].sort((a, b) => a.value - b.value);
  assert.deepEqual(samples, [
    { labels: { result: "failed" }, value: 2 },
    { labels: { result: "ok" }, value: 43 },
  ]);
  for (const [args, re] of [
    [["edgewatch_up", "1"], /"edgewatch_" prefix is reserved/],
    [["bad-name", "1"], /expected \[a-zA-Z_\]/],
    [["x", "abc"], /expected a number/],
    [["x", "1", "site=roof"], /label "site": reserved/],
    [["x", "1", "bad-label=1"], /label name "bad-label"/],
  ] as [string[], RegExp][]) {
    const r = cli.metric(dir, "recorder", args);
    assert.equal(r.code, 2, `${cli.name} ${args.join(" ")}: exit 2`);
    assert.match(r.stderr, re, `${cli.name} ${args.join(" ")}`);
  }
  assert.equal(readFileSync(path, "utf8"), before, `${cli.name}: a refused metric writes nothing`);
  t.diagnostic(`${cli.name}: ok`);
}

test("Python, C++ and shell clients write a program's metrics the agent accepts; bad names and labels are refused", (t) => {
  const clis: MetricCli[] = [scriptCli("python", "python3", PY_CLIENT), scriptCli("sh", "dash", SH_CLIENT)];
  if (requireTool(t, "g++")) clis.push(cppCli(tempDir(t, "ew-cpp-")));
  for (const cli of clis) exercise(t, cli, tempDir(t, `ew-${cli.name}-`));
});

test("metrics written by the three clients appear on the agent's /metrics with their types and labels", async (t) => {
  const a = await startTestAgent(t);
  const clis: MetricCli[] = [scriptCli("python", "python3", PY_CLIENT), scriptCli("sh", "dash", SH_CLIENT)];
  if (requireTool(t, "g++")) clis.push(cppCli(tempDir(t, "ew-cpp-")));
  for (const cli of clis) {
    const r = cli.metric(
      a.statusDir,
      `prog-${cli.name}`,
      [`jobs_${cli.name}`, "5", "queue=default"],
      "counter",
      "Jobs done",
    );
    assert.equal(r.code, 0, r.stderr);
  }
  const body = await until("every client's metric", async () => {
    const r = (await get(`${a.url}/metrics`)).body;
    return clis.every((c) => r.includes(`jobs_${c.name}_total{`)) ? r : null;
  });
  for (const cli of clis) {
    assert.match(body, new RegExp(`^# TYPE jobs_${cli.name}_total counter$`, "m"));
    assert.match(body, new RegExp(`^jobs_${cli.name}_total\\{device="pi-test",site="lab",queue="default"\\} 5$`, "m"));
  }
  const readerWarnings = a.logs.filter((l) => l.msg === "status reader");
  assert.equal(readerWarnings.length, 0, JSON.stringify(readerWarnings));
});

test("client APIs: Python set_metric and C++ Status::metric write the same metrics; a bad name raises EW_FRAGMENT_INVALID", (t) => {
  const expected = {
    recorder_upload_queue_size: 4,
    uploads: {
      type: "counter",
      help: "Uploads by result",
      samples: [
        { labels: { result: "failed" }, value: 2 },
        { labels: { result: "ok" }, value: 43 },
      ],
    },
  };
  const metricsOf = (dir: string) =>
    parseFragment(readFileSync(join(dir, "status.d", "recorder.json")), 0).data.metrics as typeof expected;

  const py = tempDir(t, "ew-py-api-");
  const script = `
import sys
sys.path.insert(0, ${JSON.stringify(join(PY_CLIENT, ".."))})
import edgewatch_status as ew
d = sys.argv[1]
ew.set_metric("recorder", "recorder_upload_queue_size", 4, dir=d)
ew.set_metric("recorder", "uploads", 41, labels={"result": "ok"}, type="counter", help="Uploads by result", dir=d)
ew.set_metric("recorder", "uploads", 2, labels={"result": "failed"}, dir=d)
ew.set_metric("recorder", "uploads", 43, labels={"result": "ok"}, dir=d)
try:
    ew.set_metric("recorder", "edgewatch_up", 1, dir=d)
    print("no error")
except ew.EdgewatchError as e:
    print("%s: %s" % (e.code, e))
`;
  const r = run("python3", ["-c", script, py]);
  assert.equal(r.code, 0, r.stderr);
  const pyOut = spawnSync("python3", ["-c", script, tempDir(t, "ew-py-api2-")], { encoding: "utf8" }).stdout;
  assert.match(
    pyOut,
    /^EW_FRAGMENT_INVALID: recorder: reserved key "metrics": name "edgewatch_up": the "edgewatch_" prefix is reserved/m,
  );
  const pyMetrics = metricsOf(py);
  pyMetrics.uploads.samples.sort((a, b) => a.value - b.value);
  assert.deepEqual(pyMetrics, expected);

  if (!requireTool(t, "g++")) return;
  const cpp = tempDir(t, "ew-cpp-api-");
  const bin = join(cpp, "metric_api");
  const cc = run("g++", [
    ...CXXFLAGS,
    `-I${CPP_HEADER_DIR}`,
    "-o",
    bin,
    join(import.meta.dirname, "fixtures", "metric_api.cpp"),
  ]);
  assert.equal(cc.code, 0, cc.stderr);
  const out = spawnSync(bin, [cpp], { encoding: "utf8" });
  assert.equal(out.status, 0, out.stderr);
  assert.match(
    out.stdout,
    /^EW_FRAGMENT_INVALID: recorder: reserved key "metrics": name "edgewatch_up": the "edgewatch_" prefix is reserved/m,
  );
  const cppMetrics = metricsOf(cpp);
  cppMetrics.uploads.samples.sort((a, b) => a.value - b.value);
  assert.deepEqual(cppMetrics, expected);
});
